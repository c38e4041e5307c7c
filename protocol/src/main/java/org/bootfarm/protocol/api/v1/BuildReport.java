package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.bootfarm.protocol.build.StageRecord;

/**
 * How a build ended on a worker, sent to {@link Addresses#REPORT}. The artifacts are already in the
 * artifact store under their sha256 when this is sent; the coordinator accepts the report only
 * from the worker that still holds the build's lease, for the run it holds it for. It is a request:
 * the coordinator answers once the report is recorded (or refused), and the worker sends it again
 * until one does.
 *
 * @param attempt the {@link Assignment#attempt()} of the run this reports on
 * @param deterministic for a failure: whether the same inputs fail the same way anywhere (a bad
 *     definition, a missing package), so retrying elsewhere is pointless
 * @param log the sha256 of the build's whole log (every line streamed as a LOG event), uploaded to
 *     the artifact store like the artifacts, whether the build succeeded or failed; null when the
 *     worker could not upload it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildReport(
    String buildId, String workerId, int attempt, BuildState state, List<ArtifactRecord> artifacts,
    List<StageRecord> stages, String error, String errorKind, boolean deterministic, String log,
    PackageCacheUse packageCache) {

  /** A report without cache figures. */
  public BuildReport(String buildId, String workerId, int attempt, BuildState state, List<ArtifactRecord> artifacts,
      List<StageRecord> stages, String error, String errorKind, boolean deterministic, String log) {
    this(buildId, workerId, attempt, state, artifacts, stages, error, errorKind, deterministic, log, null);
  }

  public BuildReport {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    stages = stages == null ? List.of() : List.copyOf(stages);
  }
}
