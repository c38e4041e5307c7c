/**
 * The coordinator's content-addressed artifact store: build outputs, logs and uploaded components
 * kept on disk by sha256, verified before they are published, pinned or collected for retention.
 */
package org.bootfarm.coordinator.cas;
