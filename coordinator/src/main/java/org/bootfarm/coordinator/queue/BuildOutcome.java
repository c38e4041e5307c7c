package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import java.util.List;
import java.util.Objects;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * What a worker publishes when it finishes a build it holds: SUCCEEDED with its artifacts, or
 * FAILED with an error and its kind; either way with the sha256 of the run's whole log when the
 * worker uploaded it (null otherwise).
 */
public record BuildOutcome(BuildState state, List<ArtifactRecord> artifacts, String error, ErrorKind errorKind,
    String log, PackageCacheUse packageCache) {
  /** An outcome without cache figures. */
  public BuildOutcome(BuildState state, List<ArtifactRecord> artifacts, String error, ErrorKind errorKind, String log) {
    this(state, artifacts, error, errorKind, log, null);
  }

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
    return succeeded(artifacts, null);
  }

  /** SUCCEEDED with the artifacts and the sha256 of the run's log (null: no log). */
  public static BuildOutcome succeeded(List<ArtifactRecord> artifacts, String log) {
    return new BuildOutcome(BuildState.SUCCEEDED, artifacts, null, null, log);
  }

  /** SUCCEEDED with the artifacts, the run's log and how it used the package cache (either may be null). */
  public static BuildOutcome succeeded(List<ArtifactRecord> artifacts, String log, PackageCacheUse packageCache) {
    return new BuildOutcome(BuildState.SUCCEEDED, artifacts, null, null, log, packageCache);
  }

  public static BuildOutcome failed(String error, ErrorKind kind, List<ArtifactRecord> artifacts) {
    return failed(error, kind, artifacts, null);
  }

  /** FAILED with the sha256 of the run's log (null: no log). */
  public static BuildOutcome failed(String error, ErrorKind kind, List<ArtifactRecord> artifacts, String log) {
    return new BuildOutcome(BuildState.FAILED, artifacts, error, kind, log);
  }
}
