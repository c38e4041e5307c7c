package org.bootfarm.coordinator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * Whether a worker's report may be recorded: every artifact it names is held by this coordinator's artifact store
 * under its sha256 (the store keeps an object only under the sha256 of its bytes) with the reported size, and
 * the log it names is held too. A report naming anything else is refused, so the build record never names an
 * artifact the farm cannot serve and retention never meets one (ADR 0040). Decides nothing about the build:
 * {@link BuildCoordinator#report} retries it.
 */
final class ReportCheck {
  private final ArtifactStore artifacts;

  ReportCheck(ArtifactStore artifacts) {
    this.artifacts = artifacts;
  }

  /** What is wrong with the artifacts {@code report} names, one sentence each; empty when it may be recorded. */
  List<String> problems(BuildReport report) {
    List<String> problems = new ArrayList<>();
    for (ArtifactRecord artifact : report.artifacts()) {
      String what = "artifact " + artifact.name() + " (sha256 " + artifact.sha256() + ", " + artifact.size()
          + " bytes)";
      if (!ArtifactStore.isValidId(artifact.sha256())) {
        problems.add(what + ": not a lower-case hex sha256");
        continue;
      }
      try {
        long held = artifacts.size(artifact.sha256());
        if (held != artifact.size()) {
          problems.add(what + ": the artifact store holds " + held + " bytes under that sha256");
        }
      } catch (IOException e) {
        problems.add(what + ": not in the coordinator's artifact store (the upload did not arrive or was refused)");
      }
    }
    if (report.log() != null && !(ArtifactStore.isValidId(report.log()) && artifacts.exists(report.log()))) {
      problems.add("log (sha256 " + report.log() + "): not in the coordinator's artifact store");
    }
    return problems;
  }
}
