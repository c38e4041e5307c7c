package org.bootfarm.protocol.api.v1;

/**
 * Where a build is in its life: QUEUED → RUNNING → SUCCEEDED | FAILED, RUNNING → QUEUED again when
 * its run is lost, and QUEUED | RUNNING → CANCELLED. The last three are final. The same enum is
 * the wire's and the build store's, so the two cannot drift apart.
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
