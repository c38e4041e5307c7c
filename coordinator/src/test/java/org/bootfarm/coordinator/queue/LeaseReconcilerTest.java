package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.queue.LeaseAction.Cause;
import org.bootfarm.coordinator.queue.LeaseAction.Decision;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.bootfarm.testkit.SteppingClock;

/**
 * Leases and retries on a real build store, SQLite or PostgreSQL by subclass ({@link SqliteLeaseReconcilerTest},
 * {@link PostgresLeaseReconcilerTest}), with a clock moved by hand: lost runs go back in
 * the queue behind their backoff, the last one fails the build, deterministic failures are not retried,
 * and a worker that lost its lease can change nothing.
 */
@Tag("unit")
abstract class LeaseReconcilerTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final ArtifactRecord ISO = new ArtifactRecord("bootstrap.iso", "33".repeat(32), 1234);
  private static final ArtifactRecord LOG = new ArtifactRecord("build.log", "44".repeat(32), 99);

  @TempDir Path dir;
  private final SteppingClock clock = new SteppingClock(START);
  private final LeasePolicy lease = LeasePolicy.DEFAULT;
  private SqlBuildStore store;
  private LeaseReconciler reconciler;
  private StoreFixture database;

  /** This test's database, a fresh one. */
  abstract StoreFixture database();

  @BeforeEach
  void open() {
    database = database();
    store = database.openBuilds(clock);
    reconciler = new LeaseReconciler(store, lease, RetryPolicy.DEFAULT);
  }

  @AfterEach
  void close() {
    store.close();
    database.close();
  }

  private String submit() {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "photon-2.0", "bootstrap", Map.of("tether", "11".repeat(32)),
        BuildPriority.INTERACTIVE, "{}", clock.instant()));
    return id;
  }

  private Instant now() {
    return clock.instant();
  }

  private void claim(String id, String worker) {
    store.claim(id, worker, lease.leaseUntil(now()), "test placement on " + worker).orElseThrow();
  }

  private Optional<BuildRecord> renew(String id, String worker) {
    return store.renewLease(id, worker, lease.leaseUntil(now()));
  }

  private BuildRecord stored(String id) {
    return store.get(id).orElseThrow();
  }

  private LeaseAction only(List<LeaseAction> actions) {
    assertEquals(1, actions.size(), () -> "expected one action, got " + actions);
    return actions.get(0);
  }

  /** Moves the clock to {@code instant} and asserts the reconciler finds nothing to do on the way, second by second. */
  private void quietUntil(Instant instant) {
    while (now().plus(lease.reconcileEvery()).isBefore(instant)) {
      clock.advance(lease.reconcileEvery());
      assertEquals(List.of(), reconciler.reconcile(now()), "at " + now());
    }
    clock.set(instant);
  }

  // --- reports of an older run of the same build on the same worker id

  @Test
  void reportOfAnOlderRunOnTheSameWorkerIdIsRefusedAndTheCurrentRunsIsRecorded() {
    String id = submit();
    claim(id, "w1");
    int firstRun = stored(id).attempts();
    // w1 freezes: its lease runs out, the build is re-queued and placed on w1 again (stable id, restarted)
    clock.set(START.plus(lease.requeueWithin()));
    assertEquals(Decision.REQUEUED, only(reconciler.reconcile(now())).decision());
    clock.set(stored(id).notBefore());
    claim(id, "w1");
    int secondRun = stored(id).attempts();
    assertEquals(firstRun + 1, secondRun);

    // the frozen run wakes up and reports: right owner, old attempt
    LeaseAction staleSuccess = reconciler.onSuccess(id, "w1", firstRun, List.of(ISO), now());
    assertEquals(Decision.REFUSED, staleSuccess.decision(), staleSuccess::toString);
    assertTrue(staleSuccess.reason().contains("run 1") && staleSuccess.reason().contains("run 2"),
        staleSuccess.reason());
    LeaseAction staleFailure = reconciler.onFailure(id, "w1", firstRun,
        BuildOutcome.failed("hook failed", ErrorKind.DETERMINISTIC, List.of()), now());
    assertEquals(Decision.REFUSED, staleFailure.decision(), staleFailure::toString);
    LeaseAction staleTransient = reconciler.onFailure(id, "w1", firstRun,
        BuildOutcome.failed("network", ErrorKind.TRANSIENT, List.of()), now());
    assertEquals(Decision.REFUSED, staleTransient.decision(), staleTransient::toString);
    assertTrue(store.finish(id, "w1", firstRun, BuildOutcome.succeeded(List.of(ISO))).isEmpty(),
        "the store itself refuses the old attempt");
    BuildRecord untouched = stored(id);
    assertEquals(BuildState.RUNNING, untouched.state());
    assertEquals("w1", untouched.leaseOwner());
    assertEquals(secondRun, untouched.attempts());
    assertEquals(List.of(), untouched.artifacts());

    // a report with the right attempt but from another worker is refused too
    assertEquals(Decision.REFUSED, reconciler.onSuccess(id, "w2", secondRun, List.of(ISO), now()).decision());

    LeaseAction current = reconciler.onSuccess(id, "w1", secondRun, List.of(ISO), now());
    assertEquals(Decision.SUCCEEDED, current.decision(), current::toString);
    assertEquals(BuildState.SUCCEEDED, stored(id).state());
    assertEquals(List.of(ISO), stored(id).artifacts());
  }

  // --- lease expiry

  @Test
  void expiredLeaseIsRequeuedWithTheFirstBackoff() {
    String id = submit();
    claim(id, "w1");
    Instant expiry = START.plus(lease.duration());

    clock.set(expiry.minusMillis(1));
    assertEquals(List.of(), reconciler.reconcile(now()));
    assertEquals(BuildState.RUNNING, stored(id).state());

    clock.set(expiry);
    LeaseAction action = only(reconciler.reconcile(now()));
    assertEquals(new LeaseAction(id, "w1", Cause.LEASE_EXPIRED, Decision.REQUEUED, 1, expiry.plusSeconds(2),
        action.reason()), action);
    assertTrue(action.reason().contains("worker w1 stopped renewing its lease, which ran out at " + expiry),
        action.reason());
    assertTrue(action.reason().contains("run 1 of 3 lost"), action.reason());

    BuildRecord build = stored(id);
    assertEquals(BuildState.QUEUED, build.state());
    assertEquals(1, build.attempts());
    assertEquals(expiry.plusSeconds(2), build.notBefore());
    assertNull(build.leaseOwner());
    assertNull(build.worker());
    assertEquals(action.reason(), build.error());
    assertEquals(ErrorKind.TRANSIENT, build.errorKind());
    assertEquals(List.of(), reconciler.reconcile(now()), "a re-queued build is not re-queued twice");
  }

  @Test
  void renewalsEveryThirdOfTheLeaseKeepTheBuildRunning() {
    String id = submit();
    claim(id, "w1");
    Instant lastRenewal = START;
    for (int second = 1; second <= 60; second++) {
      clock.advance(Duration.ofSeconds(1));
      if (!now().isBefore(lastRenewal.plus(lease.renewEvery()))) {
        assertTrue(renew(id, "w1").isPresent(), "renewal at " + now());
        lastRenewal = now();
      }
      assertEquals(List.of(), reconciler.reconcile(now()), "at " + now());
    }
    assertEquals(BuildState.RUNNING, stored(id).state());
    assertEquals(0, stored(id).attempts());

    // the worker falls silent: its lease runs out one lease after its last renewal, not before
    quietUntil(lastRenewal.plus(lease.duration()).minusMillis(1));
    clock.set(lastRenewal.plus(lease.duration()));
    assertEquals(Decision.REQUEUED, only(reconciler.reconcile(now())).decision());
  }

  @Test
  void thirdLostRunFailsTheBuild() {
    String id = submit();
    List<String> workers = List.of("w1", "w3", "w2");
    for (int run = 1; run <= 3; run++) {
      Optional<BuildRecord> next = store.nextQueued(now());
      assertEquals(Optional.of(id), next.map(BuildRecord::id), "run " + run + " is placed");
      claim(id, workers.get(run - 1));
      clock.advance(lease.duration());
      LeaseAction action = only(reconciler.reconcile(now()));
      assertEquals(Cause.LEASE_EXPIRED, action.cause());
      assertEquals(run, action.attempts());
      if (run < 3) {
        assertEquals(Decision.REQUEUED, action.decision());
        Duration backoff = Duration.ofSeconds(run == 1 ? 2 : 4);
        assertEquals(now().plus(backoff), action.notBefore());
        clock.advance(backoff);
      } else {
        assertEquals(Decision.FAILED, action.decision());
        assertNull(action.notBefore());
      }
    }
    BuildRecord failed = stored(id);
    assertEquals(BuildState.FAILED, failed.state());
    assertEquals(ErrorKind.TRANSIENT, failed.errorKind());
    assertNull(failed.leaseOwner());
    assertTrue(failed.error().startsWith("run 3 of 3 lost: worker w2 stopped renewing its lease, which ran out at "
        + now() + "; no runs left, so the build failed (before that: run 2 of 3 lost: worker w3 stopped renewing"),
        failed.error());
    assertTrue(failed.error().endsWith("Check the workers' health, then submit it again"), failed.error());
    clock.advance(Duration.ofHours(1));
    assertEquals(Optional.empty(), store.nextQueued(now()));
    assertEquals(List.of(), reconciler.reconcile(now()));
  }

  // --- membership

  @Test
  void workerLeftRequeuesOnlyThatWorkersBuilds() {
    String first = submit();
    String second = submit();
    String elsewhere = submit();
    claim(first, "w1");
    claim(second, "w1");
    claim(elsewhere, "w2");
    clock.advance(Duration.ofSeconds(3));

    List<LeaseAction> actions = reconciler.workerLeft("w1", now());

    assertEquals(List.of(first, second), actions.stream().map(LeaseAction::buildId).toList());
    for (LeaseAction action : actions) {
      assertEquals(Cause.WORKER_LEFT, action.cause());
      assertEquals(Decision.REQUEUED, action.decision());
      assertEquals(now().plusSeconds(2), action.notBefore());
      assertTrue(action.reason().contains("worker w1 left the cluster at " + now()), action.reason());
      assertEquals(BuildState.QUEUED, stored(action.buildId()).state());
    }
    BuildRecord untouched = stored(elsewhere);
    assertEquals(BuildState.RUNNING, untouched.state());
    assertEquals("w2", untouched.leaseOwner());
    assertEquals(START.plus(lease.duration()), untouched.leaseExpiry());

    // w1 comes back: it holds nothing, so it can neither renew nor publish
    assertEquals(Optional.empty(), renew(first, "w1"));
    assertEquals(Optional.empty(), store.finish(first, "w1", BuildOutcome.succeeded(List.of(ISO))));
    assertEquals(List.of(), reconciler.workerLeft("w1", now()), "nothing left to take from w1");
  }

  // --- failures reported by the worker

  @Test
  void deterministicFailureIsNotRetried() {
    String id = submit();
    claim(id, "w1");
    clock.advance(Duration.ofSeconds(4));
    String error = "package 'kmod' is not in any repository of photon-2.0 (packages.base in repos/photon-2.0/repo.cfg)";

    LeaseAction action = reconciler.onFailure(id, "w1", BuildOutcome.failed(error, ErrorKind.DETERMINISTIC,
        List.of(LOG)), now());

    assertEquals(new LeaseAction(id, "w1", Cause.DETERMINISTIC_FAILURE, Decision.FAILED, 0, null,
        "worker w1 reported a deterministic failure, not retried: " + error), action);
    BuildRecord failed = stored(id);
    assertEquals(BuildState.FAILED, failed.state());
    assertEquals(error, failed.error(), "the worker's error is the build's, word for word");
    assertEquals(ErrorKind.DETERMINISTIC, failed.errorKind());
    assertEquals(List.of(LOG), failed.artifacts());
    assertEquals(0, failed.attempts());
    clock.advance(Duration.ofHours(1));
    assertEquals(Optional.empty(), store.nextQueued(now()));
  }

  @Test
  void transientFailureIsRetriedWithBackoffUntilTheLastRun() {
    String id = submit();
    String error = "mirror http://10.0.0.7/photon unreachable: connection refused";
    claim(id, "w1");
    LeaseAction first = reconciler.onFailure(id, "w1", error, ErrorKind.TRANSIENT, now());
    assertEquals(Decision.REQUEUED, first.decision());
    assertEquals(Cause.TRANSIENT_FAILURE, first.cause());
    assertEquals(now().plusSeconds(2), first.notBefore());
    BuildRecord queued = stored(id);
    assertEquals(BuildState.QUEUED, queued.state());
    assertEquals(1, queued.attempts());
    assertEquals("run 1 of 3 failed: worker w1 reported a transient failure: " + error + "; re-queued, not before "
        + now().plusSeconds(2), queued.error());

    clock.advance(Duration.ofSeconds(2));
    claim(id, "w2");
    LeaseAction second = reconciler.onFailure(id, "w2", error, ErrorKind.TRANSIENT, now());
    assertEquals(now().plusSeconds(4), second.notBefore());
    assertEquals(2, second.attempts());

    clock.advance(Duration.ofSeconds(4));
    claim(id, "w3");
    LeaseAction last = reconciler.onFailure(id, "w3", BuildOutcome.failed(error, ErrorKind.TRANSIENT,
        List.of(LOG)), now());
    assertEquals(Decision.FAILED, last.decision());
    assertEquals(3, last.attempts());
    BuildRecord failed = stored(id);
    assertEquals(BuildState.FAILED, failed.state());
    assertEquals(ErrorKind.TRANSIENT, failed.errorKind());
    assertEquals(List.of(LOG), failed.artifacts());
    assertTrue(failed.error().startsWith("run 3 of 3 failed: worker w3 reported a transient failure: " + error),
        failed.error());
  }

  @Test
  void failureReportedByAWorkerThatNeverHeldTheBuildChangesNothing() {
    String id = submit();
    claim(id, "w1");
    LeaseAction transientReport = reconciler.onFailure(id, "w9", "disk full", ErrorKind.TRANSIENT, now());
    LeaseAction deterministicReport = reconciler.onFailure(id, "w9", "bad definition", ErrorKind.DETERMINISTIC, now());
    for (LeaseAction action : List.of(transientReport, deterministicReport)) {
      assertEquals(Decision.REFUSED, action.decision());
      assertTrue(action.reason().contains("build " + id + " is now held by worker w1, not w9"), action.reason());
    }
    BuildRecord build = stored(id);
    assertEquals(BuildState.RUNNING, build.state());
    assertEquals("w1", build.leaseOwner());
    assertEquals(0, build.attempts());
  }

  // --- a worker that lost its lease

  @Test
  void lateFinishByTheOldWorkerIsRefusedAndTheNewWorkersFinishAccepted() {
    String id = submit();
    claim(id, "w1");
    clock.advance(lease.duration());
    assertEquals(Decision.REQUEUED, only(reconciler.reconcile(now())).decision());

    // w1 was only slow: whatever it sends now changes nothing
    assertEquals(Optional.empty(), store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))));
    assertEquals(Optional.empty(), renew(id, "w1"));
    LeaseAction lateFailure = reconciler.onFailure(id, "w1", "hook staging.sh exited 1", ErrorKind.DETERMINISTIC,
        now());
    assertEquals(Decision.REFUSED, lateFailure.decision());
    assertTrue(lateFailure.reason().contains("worker w1 no longer holds build " + id + ", which is QUEUED"),
        lateFailure.reason());
    assertEquals(BuildState.QUEUED, stored(id).state());

    clock.advance(RetryPolicy.DEFAULT.firstBackoff());
    claim(id, "w2");
    assertEquals(Optional.empty(), store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))));
    assertEquals(Decision.REFUSED,
        reconciler.onFailure(id, "w1", "network down", ErrorKind.TRANSIENT, now()).decision());
    assertEquals("w2", stored(id).leaseOwner());

    BuildRecord done = store.finish(id, "w2", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    assertEquals(BuildState.SUCCEEDED, done.state());
    assertEquals("w2", done.worker());
    assertEquals(List.of(ISO), done.artifacts());
    assertEquals(1, done.attempts());
    LeaseAction afterTheEnd = reconciler.onFailure(id, "w1", "network down", ErrorKind.TRANSIENT, now());
    assertTrue(afterTheEnd.reason().contains("is already SUCCEEDED"), afterTheEnd.reason());
  }

  @Test
  void failureReportedAfterTheLeaseRanOutButBeforeReconcileLeavesItToTheReconciler() {
    String id = submit();
    claim(id, "w1");
    clock.advance(lease.duration().plusMillis(300));
    LeaseAction action = reconciler.onFailure(id, "w1", "definition photon-2.0: packages.base is empty",
        ErrorKind.DETERMINISTIC, now());
    assertEquals(Decision.REFUSED, action.decision());
    assertTrue(action.reason().contains("ran out at " + START.plus(lease.duration())
        + "; the next reconcile takes the build back"), action.reason());
    assertEquals(Decision.REQUEUED, only(reconciler.reconcile(now())).decision());
  }

  @Test
  void cancelledBuildIsLeftAlone() {
    String id = submit();
    claim(id, "w1");
    store.cancel(id).orElseThrow();
    clock.advance(lease.duration().multipliedBy(2));
    assertEquals(List.of(), reconciler.reconcile(now()));
    assertEquals(List.of(), reconciler.workerLeft("w1", now()));
    LeaseAction report = reconciler.onFailure(id, "w1", "interrupted", ErrorKind.TRANSIENT, now());
    assertTrue(report.reason().contains("is already CANCELLED"), report.reason());
    assertEquals(BuildState.CANCELLED, stored(id).state());
  }

  // --- the coordinator restarts

  @Test
  void restartedCoordinatorGivesRunningWorkersOneLeaseToRenewThenTakesTheDeadOnesBuilds() {
    String alive = submit();
    String dead = submit();
    claim(alive, "w1");
    claim(dead, "w2");
    store.close(); // the coordinator is killed; w1 keeps building, w2 dies
    clock.advance(Duration.ofMinutes(1));
    store = database.openBuilds(clock);
    reconciler = new LeaseReconciler(store, lease, RetryPolicy.DEFAULT);
    assertEquals(Optional.empty(), renew(alive, "w1"), "without the grace w1 could not renew");

    List<LeaseAction> extended = reconciler.afterRestart(now());

    assertEquals(List.of(alive, dead), extended.stream().map(LeaseAction::buildId).toList());
    for (LeaseAction action : extended) {
      assertEquals(Cause.COORDINATOR_RESTARTED, action.cause());
      assertEquals(Decision.LEASE_EXTENDED, action.decision());
      assertTrue(action.reason().contains("now runs until " + lease.leaseUntil(now())), action.reason());
      assertEquals(BuildState.RUNNING, stored(action.buildId()).state());
    }
    Instant restart = now();
    clock.advance(lease.renewEvery());
    renew(alive, "w1").orElseThrow();
    quietUntil(restart.plus(lease.duration()).minusMillis(1));
    clock.set(restart.plus(lease.duration()));
    LeaseAction lost = only(reconciler.reconcile(now()));
    assertEquals(dead, lost.buildId());
    assertEquals(Decision.REQUEUED, lost.decision());
    assertEquals(BuildState.RUNNING, stored(alive).state());
  }

  @Test
  void restartGraceLongerThanALeaseLetsAWorkerThatRejoinsLateRenew() {
    String id = submit();
    claim(id, "w1");
    store.close();
    clock.advance(Duration.ofMinutes(1));
    store = database.openBuilds(clock);
    reconciler = new LeaseReconciler(store, lease, RetryPolicy.DEFAULT);
    Duration grace = lease.duration().plusSeconds(30);

    LeaseAction extended = only(reconciler.afterRestart(now(), grace));
    assertTrue(extended.reason().contains("now runs until " + now().plus(grace)), extended.reason());
    Instant restart = now();
    quietUntil(restart.plus(grace).minusSeconds(1)); // w1 is still joining the cluster: nothing taken
    renew(id, "w1").orElseThrow();
    assertEquals("w1", stored(id).leaseOwner());
  }

  // --- a coordinator that hears no worker (ADR 0043)

  /** A reconciler that knows when this coordinator heard workers, with nothing heard yet. */
  private WorkerHearing hearing() {
    WorkerHearing hearing = WorkerHearing.forLeases(lease);
    reconciler = new LeaseReconciler(store, lease, RetryPolicy.DEFAULT, hearing);
    return hearing;
  }

  /** {@code worker}'s heartbeat reaches the coordinator now, renewing the leases of {@code builds}. */
  private void heartbeat(WorkerHearing hearing, String worker, String... builds) {
    hearing.heard(worker, now());
    for (String id : builds) {
      renew(id, worker);
    }
  }

  /** Moves the clock by {@code duration}, a reconcile every second, and returns what the reconciler did. */
  private List<LeaseAction> reconcileFor(Duration duration) {
    List<LeaseAction> actions = new java.util.ArrayList<>();
    Instant end = now().plus(duration);
    while (now().isBefore(end)) {
      clock.advance(lease.reconcileEvery());
      actions.addAll(reconciler.reconcile(now()));
    }
    return actions;
  }

  @Test
  void leasesThatRunOutWhileTheCoordinatorHearsNoWorkerAreExtendedAndChargeNoRun() {
    WorkerHearing hearing = hearing();
    String first = submit();
    String second = submit();
    claim(first, "w1");
    claim(second, "w2");
    for (int beat = 0; beat < 6; beat++) { // both renew every third of the lease
      clock.advance(lease.renewEvery());
      heartbeat(hearing, "w1", first);
      heartbeat(hearing, "w2", second);
      assertEquals(List.of(), reconciler.reconcile(now()));
    }
    // the coordinator's cluster ports are blocked for two minutes: it hears nothing, the workers keep building
    List<LeaseAction> deaf = reconcileFor(Duration.ofMinutes(2));
    assertFalse(deaf.isEmpty());
    for (LeaseAction action : deaf) {
      assertEquals(Cause.COORDINATOR_DEAF, action.cause(), action::toString);
      assertEquals(Decision.LEASE_EXTENDED, action.decision(), action::toString);
      assertEquals(0, action.attempts());
      assertTrue(action.reason().contains("heard from no worker at all") && action.reason().contains("no run is"
          + " charged (run 1 of 3 goes on)"), action.reason());
    }
    for (String id : List.of(first, second)) {
      assertEquals(BuildState.RUNNING, stored(id).state());
      assertEquals(0, stored(id).attempts(), "a deaf coordinator charges no run");
    }
    // the block heals: w1 is heard again and renews; w2 died meanwhile and is never heard
    heartbeat(hearing, "w1", first);
    List<LeaseAction> afterwards = new java.util.ArrayList<>();
    for (int beat = 0; beat < 6; beat++) {
      afterwards.addAll(reconcileFor(lease.renewEvery()));
      heartbeat(hearing, "w1", first);
    }
    LeaseAction lost = only(afterwards);
    assertEquals(second, lost.buildId());
    assertEquals(Cause.LEASE_EXPIRED, lost.cause());
    assertEquals(Decision.REQUEUED, lost.decision());
    assertTrue(lost.reason().startsWith("run 1 of 3 lost: worker w2 stopped renewing"), lost.reason());
    assertEquals(BuildState.RUNNING, stored(first).state());
    assertEquals(0, stored(first).attempts());
    assertTrue(reconciler.onSuccess(first, "w1", 0, List.of(ISO), now()).decision() == Decision.SUCCEEDED,
        "w1 kept its run through the block and publishes it");
  }

  @Test
  void aWorkerThatVanishesWhileOthersRenewIsChargedUntilTheBuildFails() {
    WorkerHearing hearing = hearing();
    String other = submit();
    claim(other, "w9");
    String killer = submit();
    for (int run = 1; run <= 3; run++) {
      claim(killer, "w" + run);
      List<LeaseAction> actions = new java.util.ArrayList<>();
      while (actions.isEmpty()) { // w9 keeps renewing; the worker running the killer build is never heard again
        clock.advance(lease.renewEvery());
        heartbeat(hearing, "w9", other);
        actions.addAll(reconciler.reconcile(now()));
      }
      LeaseAction action = only(actions);
      assertEquals(Cause.LEASE_EXPIRED, action.cause(), action::toString);
      assertEquals(run < 3 ? Decision.REQUEUED : Decision.FAILED, action.decision(), action::toString);
      if (run < 3) {
        clock.set(action.notBefore());
        heartbeat(hearing, "w9", other);
      }
    }
    assertTrue(stored(killer).error().startsWith("run 3 of 3 lost: worker w3 stopped renewing"), stored(killer).error());
    assertEquals(BuildState.RUNNING, stored(other).state());
  }

  @Test
  void inAOneWorkerFarmABuildThatKillsItsWorkerStillFailsAfterThreeRuns() {
    WorkerHearing hearing = hearing();
    String killer = submit();
    for (int run = 1; run <= 3; run++) {
      heartbeat(hearing, "w1");
      claim(killer, "w1");
      // the build kills w1: nothing is heard, so its lease is only extended ...
      List<LeaseAction> silent = reconcileFor(lease.duration().multipliedBy(3));
      assertFalse(silent.isEmpty());
      assertTrue(silent.stream().allMatch(a -> a.decision() == Decision.LEASE_EXTENDED), silent::toString);
      // ... until w1 is back (restarted, running nothing): now the coordinator hears, and the run is charged
      List<LeaseAction> back = new java.util.ArrayList<>();
      while (back.isEmpty()) {
        heartbeat(hearing, "w1");
        back.addAll(reconcileFor(lease.renewEvery()));
      }
      LeaseAction action = only(back);
      assertEquals(Cause.LEASE_EXPIRED, action.cause(), action::toString);
      assertEquals(run, action.attempts());
      assertEquals(run < 3 ? Decision.REQUEUED : Decision.FAILED, action.decision(), action::toString);
      if (run < 3) {
        clock.set(action.notBefore());
      }
    }
    assertEquals(BuildState.FAILED, stored(killer).state());
  }

  @Test
  void aNewTermGivesRunningLeasesAGraceAndChargesNothingUntilItHearsWorkers() {
    String alive = submit();
    String dead = submit();
    claim(alive, "w1");
    claim(dead, "w2");
    store.close(); // the active coordinator dies; another takes over its term with nothing heard yet
    clock.advance(Duration.ofMinutes(1));
    store = database.openBuilds(clock);
    WorkerHearing hearing = hearing();
    Duration grace = lease.duration().plusSeconds(30);
    assertEquals(2, reconciler.afterRestart(now(), grace).size());
    Instant takeover = now();
    quietUntil(takeover.plus(grace).minusMillis(1)); // the workers are still joining: nothing taken
    List<LeaseAction> deaf = reconcileFor(lease.duration());
    assertEquals(java.util.Set.of(alive, dead), deaf.stream().map(LeaseAction::buildId).collect(
        java.util.stream.Collectors.toSet()));
    assertTrue(deaf.stream().allMatch(a -> a.cause() == Cause.COORDINATOR_DEAF), deaf::toString);
    // w1 joins and renews; w2 never comes: its run is charged once the coordinator hears
    List<LeaseAction> heard = new java.util.ArrayList<>();
    for (int beat = 0; beat < 6; beat++) {
      heartbeat(hearing, "w1", alive);
      heard.addAll(reconcileFor(lease.renewEvery()));
    }
    LeaseAction lost = only(heard);
    assertEquals(dead, lost.buildId());
    assertEquals(Decision.REQUEUED, lost.decision());
    assertEquals(1, stored(dead).attempts());
    assertEquals(0, stored(alive).attempts());
    assertEquals(BuildState.RUNNING, stored(alive).state());
  }

  @Test
  void departuresSeenByACutOffCoordinatorWaitAndWorkersHeardAgainKeepTheirRuns() {
    WorkerHearing hearing = hearing();
    String first = submit();
    String second = submit();
    claim(first, "w1");
    claim(second, "w2");
    heartbeat(hearing, "w1", first);
    heartbeat(hearing, "w2", second);
    // cut off, the coordinator's membership says both workers left, five seconds after it last heard them
    clock.advance(Duration.ofSeconds(5));
    assertEquals(List.of(), reconciler.workerLeft("w1", now()));
    assertEquals(List.of(), reconciler.workerLeft("w2", now()));
    assertEquals(List.of(), reconcileFor(Duration.ofSeconds(2)));
    // healed: both are heard again within a renewal period, renewing
    heartbeat(hearing, "w2", second);
    clock.advance(Duration.ofSeconds(2));
    heartbeat(hearing, "w1", first);
    for (int beat = 0; beat < 6; beat++) {
      assertEquals(List.of(), reconcileFor(lease.renewEvery()));
      heartbeat(hearing, "w1", first);
      heartbeat(hearing, "w2", second);
    }
    assertEquals(0, stored(first).attempts());
    assertEquals(0, stored(second).attempts());
  }

  @Test
  void aDepartureWhileOtherWorkersAreHeardTakesItsRunsBackWithinARenewalPeriod() {
    WorkerHearing hearing = hearing();
    String gone = submit();
    String kept = submit();
    claim(gone, "w1");
    claim(kept, "w2");
    heartbeat(hearing, "w1", gone);
    heartbeat(hearing, "w2", kept);
    clock.advance(Duration.ofSeconds(1));
    Instant left = now();
    assertEquals(List.of(), reconciler.workerLeft("w1", left)); // SIGKILL: membership knows at once
    clock.advance(Duration.ofSeconds(1));
    heartbeat(hearing, "w2", kept);
    List<LeaseAction> actions = new java.util.ArrayList<>();
    while (actions.isEmpty()) {
      clock.advance(lease.reconcileEvery());
      actions.addAll(reconciler.reconcile(now()));
    }
    LeaseAction action = only(actions);
    assertEquals(gone, action.buildId());
    assertEquals(Cause.WORKER_LEFT, action.cause());
    assertEquals(Decision.REQUEUED, action.decision());
    assertTrue(action.reason().contains("worker w1 left the cluster at " + left), action.reason());
    assertTrue(Duration.between(left, now()).compareTo(Duration.ofSeconds(1).plus(lease.renewEvery())
        .plus(lease.reconcileEvery())) <= 0, "taken back " + Duration.between(left, now()) + " after it left");
    assertEquals(BuildState.RUNNING, stored(kept).state());
  }

  // --- the queue honours the backoff

  @Test
  void requeuedBuildIsPickedByNextQueuedOnlyAfterItsBackoff() {
    String lost = submit();
    claim(lost, "w1");
    clock.advance(Duration.ofMillis(5));
    String later = submit();
    clock.advance(lease.duration());
    Instant notBefore = only(reconciler.reconcile(now())).notBefore();

    clock.set(notBefore.minusMillis(1));
    assertEquals(List.of(later), store.nextQueued(now(), 10).stream().map(BuildRecord::id).toList(),
        "while the lost build waits, the queue hands out the one behind it");
    clock.set(notBefore);
    assertEquals(List.of(lost, later), store.nextQueued(now(), 10).stream().map(BuildRecord::id).toList(),
        "after its backoff the lost build is first again, in submission order");
  }

  // --- the bound

  @Test
  void withTheDefaultPolicyADeadWorkersBuildIsBackInTheQueueWithin15SecondsOfItsLastRenewal() {
    Duration bound = Duration.ofSeconds(15);
    assertTrue(lease.requeueWithin().plus(RetryPolicy.DEFAULT.firstBackoff()).compareTo(bound) <= 0);
    // the reconciler ticks on its own schedule: try it out of step with the renewals by various amounts
    long[] phasesMillis = {0, 1, 333, 999};
    for (int round = 0; round < phasesMillis.length; round++) {
      long phaseMillis = phasesMillis[round];
      clock.set(START.plus(Duration.ofHours(round + 1))); // a fresh build, well clear of the last round's
      String id = submit();
      claim(id, "w1");
      for (int renewal = 0; renewal < 3; renewal++) {
        clock.advance(lease.renewEvery());
        renew(id, "w1").orElseThrow();
      }
      Instant lastRenewal = now();
      // kill -9: no more renewals; the reconciler runs every reconcileEvery from a tick out of step
      Instant tick = lastRenewal.plusMillis(phaseMillis);
      Instant requeuedAt = null;
      while (requeuedAt == null) {
        clock.set(tick);
        if (!reconciler.reconcile(now()).isEmpty()) {
          requeuedAt = now();
        }
        tick = tick.plus(lease.reconcileEvery());
        assertTrue(Duration.between(lastRenewal, tick).compareTo(Duration.ofMinutes(1)) < 0, "never re-queued");
      }
      assertTrue(Duration.between(lastRenewal, requeuedAt).compareTo(lease.requeueWithin()) <= 0,
          "re-queued " + Duration.between(lastRenewal, requeuedAt) + " after the last renewal");
      Instant placeable = stored(id).notBefore();
      assertTrue(Duration.between(lastRenewal, placeable).compareTo(bound) <= 0,
          "placeable " + Duration.between(lastRenewal, placeable) + " after the last renewal");
      clock.set(placeable);
      assertEquals(Optional.of(id), store.nextQueued(now()).map(BuildRecord::id));
      store.cancel(id).orElseThrow();
    }
  }

  // --- the policies

  @Test
  void backoffDoublesFromTwoSecondsUpToItsOneMinuteCap() {
    RetryPolicy retry = RetryPolicy.DEFAULT;
    assertEquals(List.of(2L, 4L, 8L, 16L, 32L, 60L, 60L),
        List.of(1, 2, 3, 4, 5, 6, 7).stream().map(run -> retry.backoffAfter(run).toSeconds()).toList());
    assertEquals(Duration.ofSeconds(60), retry.backoffAfter(Integer.MAX_VALUE));
    assertEquals(Duration.ZERO, new RetryPolicy(5, Duration.ZERO, Duration.ZERO).backoffAfter(Integer.MAX_VALUE));
    assertTrue(retry.mayRetryAfter(2));
    assertFalse(retry.mayRetryAfter(3));
    assertThrows(IllegalArgumentException.class, () -> retry.backoffAfter(0));
  }

  @Test
  void policiesRefuseSettingsThatCannotWork() {
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ofSeconds(1), Duration.ofSeconds(2)));
    IllegalArgumentException backwards = assertThrows(IllegalArgumentException.class,
        () -> new RetryPolicy(3, Duration.ofSeconds(10), Duration.ofSeconds(2)));
    assertTrue(backwards.getMessage().contains("firstBackoff <= maxBackoff"), backwards.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LeasePolicy(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new LeasePolicy(Duration.ofSeconds(10), Duration.ZERO));
    assertEquals(Duration.ofMillis(3333), LeasePolicy.DEFAULT.renewEvery().truncatedTo(ChronoUnit.MILLIS));
    assertEquals(Duration.ofSeconds(11), LeasePolicy.DEFAULT.requeueWithin());
  }
}
