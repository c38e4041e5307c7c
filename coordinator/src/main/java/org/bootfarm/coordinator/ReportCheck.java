package org.bootfarm.coordinator;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.provenance.ProvenanceWriter;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeaseReconciler;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * Whether a worker's report may be recorded: every artifact it names is held by this coordinator's artifact store
 * under its sha256 (the store keeps an object only under the sha256 of its bytes) with the reported size, and
 * the log it names is held too. A report naming anything else is refused, so the build record never names an
 * artifact the farm cannot serve and retention never meets one (ADR 0040): nothing of it is recorded, and the
 * run counts as a transient failure whose error names what is wrong, so the build is tried again (or, with no
 * runs left, FAILED), only under the run's lease as any report.
 */
final class ReportCheck {
  private static final System.Logger LOG = System.getLogger(ReportCheck.class.getName());

  private final ArtifactStore artifacts;
  private final LeaseReconciler leases;
  private final BuildStateListener stateListener;

  ReportCheck(ArtifactStore artifacts, LeaseReconciler leases, BuildStateListener stateListener) {
    this.artifacts = artifacts;
    this.leases = leases;
    this.stateListener = stateListener;
  }

  /**
   * For a report that may not be recorded, what became of its run instead (logged, counted through the listener's
   * {@link BuildStateListener#reportRefused}, told to its {@link BuildStateListener#leaseDecided}); empty for a
   * report that may be recorded.
   */
  Optional<LeaseAction> refused(BuildReport report, Instant now) {
    List<String> problems = problems(report);
    if (problems.isEmpty()) {
      return Optional.empty();
    }
    String why = "the report of worker " + report.workerId() + " was refused, nothing of it recorded: "
        + String.join("; ", problems);
    LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: build " + report.buildId() + " attempt "
        + report.attempt() + ": " + why);
    stateListener.reportRefused(report.buildId(), report.workerId(), why);
    LeaseAction action = leases.onFailure(report.buildId(), report.workerId(), report.attempt(),
        BuildOutcome.failed(why, ErrorKind.TRANSIENT, List.of()), now);
    stateListener.leaseDecided(action);
    return Optional.of(action);
  }

  /** What is wrong with the artifacts {@code report} names, one sentence each; empty when it may be recorded. */
  List<String> problems(BuildReport report) {
    List<String> problems = new ArrayList<>();
    for (ArtifactRecord artifact : report.artifacts()) {
      String what = "artifact " + artifact.name() + " (sha256 " + artifact.sha256() + ", " + artifact.size()
          + " bytes)";
      if (ProvenanceWriter.FILE_NAME.equals(artifact.name())) {
        problems.add(what + ": that name is the coordinator's own signed provenance (ADR 0044); a worker reports"
            + " digests and signs nothing");
        continue;
      }
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
