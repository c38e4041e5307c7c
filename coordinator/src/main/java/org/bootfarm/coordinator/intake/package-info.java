/**
 * What workers tell the coordinator, taken in once each: heartbeats (every coordinator), build reports
 * (the active one) and workers leaving the cluster; each is handed to the
 * {@link org.bootfarm.coordinator.BuildCoordinator}, which decides.
 */
package org.bootfarm.coordinator.intake;
