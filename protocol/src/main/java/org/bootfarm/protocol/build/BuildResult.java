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
 * @param inputFiles   for a successful build: where each installed package's file is on the building machine,
 *     sha256 to absolute path (the worker archives them in the farm's store); absent from the JSON when empty
 * @param cachedFrom   for a build served from the action cache (nothing ran, the outputs are the bytes an
 *     earlier build made): that build, as its id on a farm or {@code buildinfo:<sha256>} for a local build;
 *     null for a build that ran (docs/adr/0048)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildResult(
    String status, String error, String errorKind, List<ArtifactRecord> artifacts, List<StageRecord> stages,
    PackageCacheUse packageCache,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) java.util.Map<String, String> inputFiles,
    String cachedFrom) {

  public static final String SUCCEEDED = "SUCCEEDED";
  public static final String FAILED = "FAILED";

  public BuildResult {
    artifacts = List.copyOf(artifacts);
    stages = List.copyOf(stages);
    inputFiles = inputFiles == null ? java.util.Map.of() : java.util.Map.copyOf(inputFiles);
  }

  /** A result of a build that ran (not served from the action cache). */
  public BuildResult(String status, String error, String errorKind, List<ArtifactRecord> artifacts,
      List<StageRecord> stages, PackageCacheUse packageCache, java.util.Map<String, String> inputFiles) {
    this(status, error, errorKind, artifacts, stages, packageCache, inputFiles, null);
  }

  /** A result that names no input files (a failed build, or one from before inputs were archived). */
  public BuildResult(String status, String error, String errorKind, List<ArtifactRecord> artifacts,
      List<StageRecord> stages, PackageCacheUse packageCache) {
    this(status, error, errorKind, artifacts, stages, packageCache, null);
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
