/**
 * Where a build runs: the capable live worker chosen by rendezvous hashing of the repo with bounded
 * load, preferring a warm package cache, with a reason for the build record. Pure Java (no Vert.x,
 * no Hazelcast) so the coordinator and the placement simulation drive the same code.
 */
package org.bootfarm.coordinator.placement;
