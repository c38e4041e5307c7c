package org.bootfarm.coordinator.queue;

import java.time.Instant;
import java.util.Objects;

/**
 * One thing the {@link LeaseReconciler} did to a build, and why, for the coordinator's log and its
 * counters (lease expiries, retries, builds given up on, leases extended after a restart).
 *
 * @param buildId the build
 * @param worker the worker whose run was lost, failed or reported
 * @param cause what happened to that run
 * @param decision what became of the build
 * @param attempts the build's lost or transiently failed runs so far, this one included when it counted
 * @param notBefore when a re-queued build may be placed again (null unless REQUEUED)
 * @param reason a sentence for the log; for REQUEUED and FAILED it is also the build's error
 */
public record LeaseAction(String buildId, String worker, Cause cause, Decision decision, int attempts,
    Instant notBefore, String reason) {

  /** What happened to the worker's run. */
  public enum Cause {
    /** The worker stopped renewing and the lease ran out. */
    LEASE_EXPIRED,
    /** Membership said the worker is gone; its leases end at once. */
    WORKER_LEFT,
    /** The worker reported a failure that may not happen elsewhere (network, tool, internal). */
    TRANSIENT_FAILURE,
    /** The worker reported a failure the same inputs always give (definition, package, hook). */
    DETERMINISTIC_FAILURE,
    /** The coordinator started again; leases that ran out (or would soon) while it was down get one more. */
    COORDINATOR_RESTARTED,
    /**
     * The lease ran out while this coordinator heard from no worker at all: it may be the one cut off, so the
     * lease gets one more and the run is not charged (ADR 0043).
     */
    COORDINATOR_DEAF,
    /** The worker reported that its run succeeded. */
    SUCCESS_REPORTED
  }

  /** What became of the build. */
  public enum Decision {
    /** Back in the queue, not placed before {@link #notBefore()}. */
    REQUEUED,
    /** FAILED for good: a deterministic failure, or no attempts left. */
    FAILED,
    /** Nothing changed: the worker no longer held the build (its report came too late). */
    REFUSED,
    /** Still RUNNING on the same worker, whose lease was extended so it can renew. */
    LEASE_EXTENDED,
    /** SUCCEEDED with the worker's artifacts. */
    SUCCEEDED,
    /**
     * Nothing changed: the worker sent a report the store had recorded already, because the answer to the first
     * was lost; it is answered as recorded.
     */
    REPEATED
  }

  public LeaseAction {
    Objects.requireNonNull(buildId, "buildId");
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(reason, "reason");
    if ((decision == Decision.REQUEUED) != (notBefore != null)) {
      throw new IllegalArgumentException("a not-before belongs to a REQUEUED action only, not to " + decision);
    }
  }
}
