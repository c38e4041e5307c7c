package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The outcome of one build as {@code bootfarm build --json} prints it and the farm records it.
 *
 * @param status    {@code SUCCEEDED} or {@code FAILED}
 * @param error     why it failed, or null
 * @param errorKind the failure class (DEFINITION, INPUT, PACKAGE, ...), or null
 * @param artifacts the published files
 * @param stages    the stages that finished, in order
 * @param packageCache how the package install used the warm cache, null when it did not run
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildResult(
    String status, String error, String errorKind, List<ArtifactRecord> artifacts, List<StageRecord> stages,
    PackageCacheUse packageCache) {

  public static final String SUCCEEDED = "SUCCEEDED";
  public static final String FAILED = "FAILED";

  public BuildResult {
    artifacts = List.copyOf(artifacts);
    stages = List.copyOf(stages);
  }

  /** A result without cache figures (the package install did not run). */
  public BuildResult(String status, String error, String errorKind, List<ArtifactRecord> artifacts,
      List<StageRecord> stages) {
    this(status, error, errorKind, artifacts, stages, null);
  }

  public boolean succeeded() {
    return SUCCEEDED.equals(status);
  }
}
