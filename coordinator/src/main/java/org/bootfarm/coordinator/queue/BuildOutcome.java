package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import java.util.List;
import java.util.Objects;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * What a worker publishes when it finishes a build it holds: SUCCEEDED with its artifacts, or
 * FAILED with an error and its kind (a failed build may still carry artifacts such as its log).
 */
public record BuildOutcome(BuildState state, List<ArtifactRecord> artifacts, String error, ErrorKind errorKind) {
  public BuildOutcome {
    Objects.requireNonNull(state, "state");
    if (state != BuildState.SUCCEEDED && state != BuildState.FAILED) {
      throw new IllegalArgumentException("a build outcome is SUCCEEDED or FAILED, not " + state);
    }
    artifacts = List.copyOf(artifacts);
    if (state == BuildState.FAILED && (error == null || errorKind == null)) {
      throw new IllegalArgumentException("a FAILED outcome needs an error and an error kind");
    }
    if (state == BuildState.SUCCEEDED && (error != null || errorKind != null)) {
      throw new IllegalArgumentException("a SUCCEEDED outcome has no error, but got: " + error);
    }
  }

  public static BuildOutcome succeeded(List<ArtifactRecord> artifacts) {
    return new BuildOutcome(BuildState.SUCCEEDED, artifacts, null, null);
  }

  public static BuildOutcome failed(String error, ErrorKind kind, List<ArtifactRecord> artifacts) {
    return new BuildOutcome(BuildState.FAILED, artifacts, error, kind);
  }
}
