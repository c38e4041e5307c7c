package org.bootfarm.coordinator;

import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeaseAction.Cause;
import org.bootfarm.coordinator.queue.LeaseAction.Decision;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;

/**
 * Whether a worker's report is one the store recorded already. A worker sends a report again while no answer
 * reaches it (ReportSender); when the coordinator recorded the first one and only its answer was lost (a cut,
 * a timeout), the repeat must be answered "recorded" so the worker knows its run counted, and must change
 * nothing: no second final state, no second provenance, no second count. A report is a repeat only when the
 * stored build ended in its state, ran by its worker under its run number, with its log and every artifact it
 * names; anything else goes through the usual checks, which refuse a late report.
 */
final class ReportRepeats {
  private final BuildStore store;

  ReportRepeats(BuildStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** For a report the store holds as this build's end already, the answer to give; empty for any other. */
  Optional<LeaseAction> repeated(BuildReport report) {
    Optional<BuildRecord> stored = store.get(report.buildId());
    if (stored.isEmpty() || !sameRun(stored.get(), report)) {
      return Optional.empty();
    }
    BuildRecord build = stored.get();
    return Optional.of(new LeaseAction(build.id(), report.workerId(), report.state() == BuildState.SUCCEEDED
        ? Cause.SUCCESS_REPORTED : report.deterministic() ? Cause.DETERMINISTIC_FAILURE : Cause.TRANSIENT_FAILURE,
        Decision.REPEATED, build.attempts(), null, "worker " + report.workerId() + " sent its report of run "
            + (report.attempt() + 1) + " of build " + build.id() + " again (the answer to an earlier one was lost or late);"
            + " it was recorded then as " + build.state() + ", and nothing changed now"));
  }

  private static boolean sameRun(BuildRecord build, BuildReport report) {
    if (!build.state().isFinal() || build.state() != report.state() || !report.workerId().equals(build.worker())
        || build.attempts() != report.attempt() || report.log() == null || !report.log().equals(build.log())) {
      return false;
    }
    return new HashSet<>(build.artifacts()).containsAll(report.artifacts());
  }
}
