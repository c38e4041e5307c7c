package org.bootfarm.coordinator.queue;

/**
 * Where a build is in its life: QUEUED → RUNNING → SUCCEEDED | FAILED, RUNNING → QUEUED again when
 * its run is lost, and QUEUED | RUNNING → CANCELLED. The last three are final.
 */
public enum BuildState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  /** True for SUCCEEDED, FAILED and CANCELLED: no transition leaves these states. */
  public boolean isFinal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
