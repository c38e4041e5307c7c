package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.coordinator.queue.LeaseAction.Cause;
import org.bootfarm.coordinator.queue.LeaseAction.Decision;

/**
 * Decides what becomes of a build whose run was lost or failed: its lease ran out ({@link #reconcile}),
 * membership said its worker left ({@link #workerLeft}), or its worker reported a failure
 * ({@link #onFailure}); and gives running builds a grace when the coordinator restarts
 * ({@link #afterRestart}). A lost or transiently failed run puts the build back in the queue behind a
 * backoff until it has had {@link RetryPolicy#maxAttempts()} runs, then fails it; a deterministic
 * failure fails it at once. Every change is one of the store's compare-and-set transitions, so a
 * worker that no longer holds a build can neither publish nor fail it. Plain Java on a
 * {@link BuildStore}, the part of the build's state machine that {@link
 * org.bootfarm.coordinator.BuildCoordinator} owns for runs: it passes the time from the coordinator's
 * clock (the one the store was opened with), has {@link #reconcile} run every {@link
 * LeasePolicy#reconcileEvery()}, and tells its listener of the {@link LeaseAction}s it gets back.
 * Meant to be called from one thread at a time.
 */
public final class LeaseReconciler {
  private final BuildStore store;
  private final LeasePolicy lease;
  private final RetryPolicy retry;
  private final WorkerHearing hearing;
  /** Workers membership said left while this coordinator had heard from no worker since: when each left. */
  private final Map<String, Instant> departures = new LinkedHashMap<>();

  /** A reconciler that takes every lost run for the worker's fault, as if the coordinator always heard. */
  public LeaseReconciler(BuildStore store, LeasePolicy lease, RetryPolicy retry) {
    this(store, lease, retry, WorkerHearing.ALWAYS);
  }

  /**
   * @param hearing when this coordinator heard from any worker: a run lost while it heard from none costs the
   *     build nothing (ADR 0043)
   */
  public LeaseReconciler(BuildStore store, LeasePolicy lease, RetryPolicy retry, WorkerHearing hearing) {
    this.store = Objects.requireNonNull(store, "store");
    this.lease = Objects.requireNonNull(lease, "lease");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.hearing = Objects.requireNonNull(hearing, "hearing");
  }

  /** A reconciler with its own {@link WorkerHearing}, told of workers through {@link #heard}: the coordinator's. */
  public static LeaseReconciler hearing(BuildStore store, LeasePolicy lease, RetryPolicy retry) {
    return new LeaseReconciler(store, lease, retry, WorkerHearing.forLeases(lease));
  }

  /** This coordinator heard worker {@code worker} at {@code at}: a heartbeat (which renews leases) or a report. */
  public void heard(String worker, Instant at) {
    hearing.heard(worker, at);
  }

  /**
   * How long before a lease runs out the coordinator must have heard from some worker for the loss to count
   * against the build: two of the holder's renewal periods. A worker renews every third of a lease, so a
   * coordinator that hears has heard every live worker at least once in that stretch; and the holder's own last
   * renewal lies before it, so the holder's silence alone never makes the coordinator look deaf.
   */
  public Duration hearingWindow() {
    return lease.duration().minus(lease.renewEvery());
  }

  public LeasePolicy leasePolicy() {
    return lease;
  }

  public RetryPolicy retryPolicy() {
    return retry;
  }

  /**
   * Re-queues (or, with no runs left, fails) every RUNNING build whose lease ran out at or before {@code now},
   * and takes back the runs of workers whose departure waited for the coordinator to hear again ({@link
   * #workerLeft}). A lease that ran out while this coordinator heard from no worker in the {@link
   * #hearingWindow()} before its end is extended by one lease instead, costing the build nothing: the
   * coordinator, not the worker, may be the one cut off (ADR 0043).
   */
  public List<LeaseAction> reconcile(Instant now) {
    List<LeaseAction> actions = new ArrayList<>();
    for (BuildRecord build : store.expiredLeases(now)) {
      Instant expiry = build.leaseExpiry();
      if (!hearing.heardBetween(expiry.minus(hearingWindow()), expiry)) {
        actions.add(spare(build, now));
        continue;
      }
      String what = "worker " + build.leaseOwner() + " stopped renewing its lease, which ran out at " + expiry;
      actions.add(runLost(build, build.leaseOwner(), Cause.LEASE_EXPIRED, what, now));
    }
    for (var departed = departures.entrySet().iterator(); departed.hasNext(); ) {
      Map.Entry<String, Instant> departure = departed.next();
      String worker = departure.getKey();
      Instant leftAt = departure.getValue();
      Instant firstHeard = hearing.firstHeardAfter(leftAt);
      if (hearing.heardFromSince(worker, leftAt)) {
        departed.remove(); // it is back (or never left): its leases are the lease rule's, above
      } else if (firstHeard != null && !firstHeard.plus(lease.renewEvery()).isAfter(now)) {
        departed.remove(); // others are heard and it has had a renewal period to be heard too: it is gone
        actions.addAll(takeBack(worker, leftAt, now));
      } else if (leftAt.plus(lease.duration()).isBefore(now)) {
        departed.remove(); // its leases have run out meanwhile: the lease rule, above, decides them
      }
    }
    return actions;
  }

  /** A lease that ran out while the coordinator was deaf: one more lease for the same worker, no run charged. */
  private LeaseAction spare(BuildRecord build, Instant now) {
    String worker = build.leaseOwner();
    Instant until = lease.leaseUntil(now);
    Instant last = hearing.lastHeard();
    String reason = "the lease of worker " + worker + " ran out at " + build.leaseExpiry() + " while this"
        + " coordinator heard from no worker at all (" + (last == null ? "none heard since it started"
        : "the last one at " + last) + "), so it cannot tell a lost worker from its own deafness: the lease now"
        + " runs until " + until + " and no run is charged (run " + (build.attempts() + 1) + " of "
        + retry.maxAttempts() + " goes on)";
    return store.extendLease(build.id(), worker, until)
        .map(extended -> new LeaseAction(build.id(), worker, Cause.COORDINATOR_DEAF, Decision.LEASE_EXTENDED,
            extended.attempts(), null, reason))
        .orElseGet(() -> refused(build.id(), worker, Cause.COORDINATOR_DEAF, store.get(build.id()), now));
  }

  /**
   * Membership said {@code worker} is gone: ends every lease it holds and re-queues (or fails) those builds
   * as if the leases had run out. Should the worker come back, it holds none of them and cannot publish their
   * results. With a real {@link WorkerHearing} this waits (ADR 0043): a coordinator cut off from the cluster
   * sees every worker leave, so the leases are taken back only once other workers are heard after the
   * departure and this one has had a renewal period to be heard too; if it is heard, or its leases run out
   * first, the lease rule of {@link #reconcile} decides them instead. Returns what it did now.
   */
  public List<LeaseAction> workerLeft(String worker, Instant now) {
    if (hearing != WorkerHearing.ALWAYS) {
      // a coordinator cut off from the cluster sees every worker leave: decide once it hears workers again
      departures.putIfAbsent(worker, now);
      return List.of();
    }
    return takeBack(worker, now, now);
  }

  private List<LeaseAction> takeBack(String worker, Instant leftAt, Instant now) {
    List<LeaseAction> actions = new ArrayList<>();
    for (BuildRecord build : store.leasesHeldBy(worker)) {
      String what = "worker " + worker + " left the cluster at " + leftAt + " while running it";
      actions.add(runLost(build, worker, Cause.WORKER_LEFT, what, now));
    }
    return actions;
  }

  /**
   * Call once when the coordinator starts on a store it ran on before, before the first
   * {@link #reconcile}: every RUNNING build's lease is made to last at least one lease from
   * {@code now}, by the same worker. Workers that kept building while the coordinator was down
   * renew within that time and lose nothing; a worker that died meanwhile loses its builds to the
   * reconciler one lease (plus one reconcile period) after the restart.
   */
  public List<LeaseAction> afterRestart(Instant now) {
    return afterRestart(now, lease.duration());
  }

  /**
   * {@link #afterRestart(Instant)} with the leases made to last {@code grace} from {@code now}: more than
   * one lease when the workers must first join the cluster again before they can renew (they must when
   * the last coordinator died, ADR 0013), which takes them several seconds on a busy machine.
   */
  public List<LeaseAction> afterRestart(Instant now, Duration grace) {
    Instant until = now.plus(grace);
    List<LeaseAction> actions = new ArrayList<>();
    for (BuildRecord build : store.extendLeasesUntil(until)) {
      String worker = build.leaseOwner();
      actions.add(new LeaseAction(build.id(), worker, Cause.COORDINATOR_RESTARTED, Decision.LEASE_EXTENDED,
          build.attempts(), null, "the coordinator restarted at " + now + "; the lease of worker " + worker
              + (build.leaseExpiry().isAfter(now) ? " (to end at " : " (ran out at ") + build.leaseExpiry()
              + ") now runs until " + until + " so that " + worker + " can renew it if it is still building"));
    }
    return actions;
  }

  /**
   * {@code worker} reports that its run number {@code attempt} (see {@link #onFailure(String, String, int,
   * BuildOutcome, Instant)}) of build {@code buildId} succeeded with these artifacts: the build is
   * SUCCEEDED, unless that worker no longer holds that run, when nothing changes.
   */
  public LeaseAction onSuccess(String buildId, String worker, int attempt, List<ArtifactRecord> artifacts,
      Instant now) {
    return onSuccess(buildId, worker, attempt, artifacts, null, now);
  }

  /** {@link #onSuccess(String, String, int, List, Instant)} with the sha256 of the run's log in the artifact store. */
  public LeaseAction onSuccess(String buildId, String worker, int attempt, List<ArtifactRecord> artifacts, String log,
      Instant now) {
    return onSuccess(buildId, worker, attempt, BuildOutcome.succeeded(artifacts, log), now);
  }

  /** {@link #onSuccess(String, String, int, List, Instant)} with the whole SUCCEEDED outcome (log, cache use). */
  public LeaseAction onSuccess(String buildId, String worker, int attempt, BuildOutcome success, Instant now) {
    return store.finish(buildId, worker, attempt, success)
        .map(done -> new LeaseAction(buildId, worker, Cause.SUCCESS_REPORTED, Decision.SUCCEEDED, done.attempts(),
            null, "worker " + worker + " reported run " + (attempt + 1) + " of build " + buildId + " succeeded"))
        .orElseGet(() -> refused(buildId, worker, attempt, Cause.SUCCESS_REPORTED, store.get(buildId), now));
  }

  /**
   * {@code worker} reports that its run of build {@code buildId} failed. A TRANSIENT failure puts the
   * build back in the queue behind a backoff (or fails it when that was its last run); a
   * DETERMINISTIC one (the worker's definition, input, package, integrity and hook failures) fails it
   * without retry, with {@code error} as the build's error. Refused, changing nothing, unless
   * {@code worker} holds the build's lease.
   */
  public LeaseAction onFailure(String buildId, String worker, String error, ErrorKind kind, Instant now) {
    return onFailure(buildId, worker, BuildOutcome.failed(error, kind, List.of()), now);
  }

  /**
   * {@link #onFailure(String, String, String, ErrorKind, Instant)} for a failure that carries artifacts
   * and a log: they are recorded when the build fails for good, and dropped when it is re-queued (the
   * next run has its own).
   */
  public LeaseAction onFailure(String buildId, String worker, BuildOutcome failure, Instant now) {
    return onFailure(buildId, worker, (Integer) null, failure, now);
  }

  /**
   * A worker's report that its run number {@code attempt} (the build's attempts count when that run was
   * claimed, echoed from its assignment) failed: as {@link #onFailure(String, String, BuildOutcome,
   * Instant)}, but refused, changing nothing, when the build has been re-queued since (its attempts
   * count moved on), even if it went back to the same worker id.
   */
  public LeaseAction onFailure(String buildId, String worker, int attempt, BuildOutcome failure, Instant now) {
    return onFailure(buildId, worker, Integer.valueOf(attempt), failure, now);
  }

  private LeaseAction onFailure(String buildId, String worker, Integer attempt, BuildOutcome failure, Instant now) {
    if (failure.state() != BuildState.FAILED) {
      throw new IllegalArgumentException("onFailure takes a FAILED outcome; a SUCCEEDED build is published with"
          + " BuildStore.finish (build " + buildId + " from worker " + worker + ")");
    }
    Optional<BuildRecord> current = store.get(buildId);
    if (failure.errorKind() == ErrorKind.DETERMINISTIC) {
      int attempts = current.map(BuildRecord::attempts).orElse(0);
      return finish(buildId, worker, attempt, failure)
          .map(failed -> new LeaseAction(buildId, worker, Cause.DETERMINISTIC_FAILURE, Decision.FAILED, attempts,
              null, "worker " + worker + " reported a deterministic failure, not retried: " + failure.error()))
          .orElseGet(() -> refused(buildId, worker, attempt, Cause.DETERMINISTIC_FAILURE, store.get(buildId), now));
    }
    if (current.isEmpty() || !worker.equals(current.get().leaseOwner())
        || (attempt != null && current.get().attempts() != attempt)) {
      return refused(buildId, worker, attempt, Cause.TRANSIENT_FAILURE, current, now);
    }
    BuildRecord build = current.get();
    String what = "worker " + worker + " reported a transient failure: " + failure.error();
    int lostRuns = build.attempts() + 1;
    if (retry.mayRetryAfter(lostRuns)) {
      return requeue(build, worker, Cause.TRANSIENT_FAILURE, what, now);
    }
    String reason = givingUp(build, Cause.TRANSIENT_FAILURE, what);
    // finish, not fail: only the holder of an unexpired lease may end the build; if the lease has just
    // run out, the next reconcile gives up on it instead
    BuildOutcome last = BuildOutcome.failed(reason, ErrorKind.TRANSIENT, failure.artifacts(), failure.log());
    return finish(buildId, worker, attempt, last)
        .map(failed -> new LeaseAction(buildId, worker, Cause.TRANSIENT_FAILURE, Decision.FAILED, lostRuns, null,
            reason))
        .orElseGet(() -> refused(buildId, worker, attempt, Cause.TRANSIENT_FAILURE, store.get(buildId), now));
  }

  private Optional<BuildRecord> finish(String buildId, String worker, Integer attempt, BuildOutcome outcome) {
    return attempt == null ? store.finish(buildId, worker, outcome) : store.finish(buildId, worker, attempt, outcome);
  }

  /** The run of {@code build} on {@code worker} is lost: re-queue it behind its backoff, or fail it with no runs left. */
  private LeaseAction runLost(BuildRecord build, String worker, Cause cause, String what, Instant now) {
    int lostRuns = build.attempts() + 1;
    if (retry.mayRetryAfter(lostRuns)) {
      return requeue(build, worker, cause, what, now);
    }
    String reason = givingUp(build, cause, what);
    // BuildStore.fail overrides leases, which is safe here: the build was RUNNING on this worker with
    // its last run, so nothing re-queues it and nobody else can claim it before it fails; a final
    // state reached meanwhile (the worker finished, a cancel) makes the store refuse
    return store.fail(build.id(), reason, ErrorKind.TRANSIENT)
        .map(failed -> new LeaseAction(build.id(), worker, cause, Decision.FAILED, lostRuns, null, reason))
        .orElseGet(() -> refused(build.id(), worker, cause, store.get(build.id()), now));
  }

  private LeaseAction requeue(BuildRecord build, String worker, Cause cause, String what, Instant now) {
    int lostRuns = build.attempts() + 1;
    Instant notBefore = now.plus(retry.backoffAfter(lostRuns));
    String reason = run(lostRuns, cause) + what + "; re-queued, not before " + notBefore;
    return store.requeue(build.id(), worker, reason, notBefore)
        .map(queued -> new LeaseAction(build.id(), worker, cause, Decision.REQUEUED, queued.attempts(),
            queued.notBefore(), reason))
        .orElseGet(() -> refused(build.id(), worker, cause, store.get(build.id()), now));
  }

  /** "run 2 of 3 lost: " or "run 2 of 3 failed: ", the start of every reason. */
  private String run(int number, Cause cause) {
    return "run " + number + " of " + retry.maxAttempts() + (cause == Cause.TRANSIENT_FAILURE ? " failed: " : " lost: ");
  }

  private String givingUp(BuildRecord build, Cause cause, String what) {
    String reason = run(build.attempts() + 1, cause) + what + "; no runs left, so the build failed";
    if (build.error() != null) {
      reason += " (before that: " + build.error() + ")";
    }
    return reason + ". Check the workers' health, then submit it again";
  }

  private static LeaseAction refused(String buildId, String worker, Cause cause, Optional<BuildRecord> current,
      Instant now) {
    return refused(buildId, worker, null, cause, current, now);
  }

  /** Why a change asked for by {@code worker} (for its run {@code attempt}, when known) was refused. */
  private static LeaseAction refused(String buildId, String worker, Integer attempt, Cause cause,
      Optional<BuildRecord> current, Instant now) {
    String why;
    int attempts = current.map(BuildRecord::attempts).orElse(0);
    if (current.isEmpty()) {
      why = "there is no build " + buildId;
    } else {
      BuildRecord build = current.get();
      if (build.state().isFinal()) {
        why = "build " + buildId + " is already " + build.state();
      } else if (build.leaseOwner() == null) {
        why = "worker " + worker + " no longer holds build " + buildId + ", which is " + build.state()
            + (build.error() == null ? "" : " after: " + build.error());
      } else if (!build.leaseOwner().equals(worker)) {
        why = "build " + buildId + " is now held by worker " + build.leaseOwner() + ", not " + worker;
      } else if (attempt != null && build.attempts() != attempt) {
        why = "the report is of run " + (attempt + 1) + " of build " + buildId + ", but worker " + worker
            + " now holds it for run " + (build.attempts() + 1) + " (it was re-queued and placed there again)";
      } else if (!build.leaseExpiry().isAfter(now)) {
        why = "the lease of worker " + worker + " on build " + buildId + " ran out at " + build.leaseExpiry()
            + "; the next reconcile takes the build back";
      } else {
        why = "the store refused the change to build " + buildId + " (it changed meanwhile: " + build.state()
            + ", held by " + build.leaseOwner() + ")";
      }
    }
    return new LeaseAction(buildId, worker, cause, Decision.REFUSED, attempts, null,
        why + "; the report of worker " + worker + " (" + cause + ") changed nothing");
  }
}
