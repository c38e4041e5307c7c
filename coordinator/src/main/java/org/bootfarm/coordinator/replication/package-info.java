/**
 * Several coordinators in one cluster: the active one's live build state in a Hazelcast map that
 * standbys follow into their own stores, and artifacts copied between the coordinators' stores
 * (ADR 0018).
 */
package org.bootfarm.coordinator.replication;
