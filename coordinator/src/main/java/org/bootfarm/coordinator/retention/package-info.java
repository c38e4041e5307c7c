/**
 * Retention of the artifact store: which artifacts the coordinator keeps (the last N successful
 * builds per repo and target, what unfinished builds still need, what is pinned), collecting the
 * rest on a timer, and pinning whole builds.
 */
package org.bootfarm.coordinator.retention;
