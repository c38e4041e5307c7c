/**
 * What the coordinator sends to workers: the assignment message for a placed build, the placing loop
 * that sends it, and the order to stop a cancelled run.
 */
package org.bootfarm.coordinator.assignment;
