package org.bootfarm.protocol.api.v1;

/** Where a build is, as clients see it. SUCCEEDED, FAILED and CANCELLED are final. */
public enum BuildState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED
}
