package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.bootfarm.testkit.SteppingClock;

/**
 * The build store's contract, run on each engine by a subclass ({@link SqliteBuildStoreTest}, {@link
 * PostgresBuildStoreTest}): transitions and their refusals, order, what survives a reopen.
 */
@Tag("unit")
abstract class BuildStoreTest {
  private static final String TETHER = "11".repeat(32);
  private static final String UNPACK = "22".repeat(32);
  private static final ArtifactRecord ISO = new ArtifactRecord("bootstrap.iso", "33".repeat(32), 1234);
  private static final Duration LEASE = Duration.ofSeconds(15);

  @TempDir Path dir;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));
  SqlBuildStore store;

  /** Opens the store of this test's database: the same one each time within a test, a fresh one for each test. */
  abstract SqlBuildStore reopen();

  @BeforeEach
  void open() {
    store = reopen();
  }

  @AfterEach
  void close() {
    store.close();
  }

  String submit(String repo, BuildPriority priority) {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, repo, "bootstrap", Map.of("tether", TETHER, "unpack", UNPACK), priority,
        "{\"verbose\":true}", clock.instant()));
    clock.advance(Duration.ofMillis(1));
    return id;
  }

  String submit() {
    return submit("photon-2.0", BuildPriority.INTERACTIVE);
  }

  private Instant leaseEnd() {
    return clock.instant().plus(LEASE);
  }

  private BuildRecord running(String id, String worker) {
    return store.claim(id, worker, leaseEnd(), "warm cache on " + worker).orElseThrow();
  }

  private BuildRecord stored(String id) {
    return store.get(id).orElseThrow();
  }

  // --- insert and read back

  @Test
  void insertedBuildReadsBackQueuedWithEveryField() {
    String id = submit();
    BuildRecord build = stored(id);
    assertEquals(BuildState.QUEUED, build.state());
    assertEquals("photon-2.0", build.repo());
    assertEquals("bootstrap", build.target());
    assertEquals(Map.of("tether", TETHER, "unpack", UNPACK), build.components());
    assertEquals(BuildPriority.INTERACTIVE, build.priority());
    assertEquals("{\"verbose\":true}", build.options());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), build.submittedAt());
    assertEquals(0, build.attempts());
    assertNull(build.worker());
    assertNull(build.leaseOwner());
    assertTrue(build.artifacts().isEmpty());
  }

  @Test
  void queueChangesCountStateWritesNotNotesNorRenewalsAndTheNextBackoffEndIsKnown() {
    long start = store.queueChanges();
    String first = submit();
    String second = submit();
    assertTrue(store.queueChanges() > start, "an insert counts");
    long inserted = store.queueChanges();
    store.notePlacements(Map.of(first, "no live worker runs tdnf"));
    assertEquals(inserted, store.queueChanges(), "a note does not");
    running(first, "w1");
    long claimed = store.queueChanges();
    assertEquals(inserted + 1, claimed, "a claim counts");
    store.renewLease(first, "w1", leaseEnd().plusSeconds(5)).orElseThrow();
    assertEquals(claimed, store.queueChanges(), "a renewal does not");
    assertEquals(Optional.empty(), store.nextBackoffEnd(clock.instant()));
    Instant notBefore = clock.instant().plusSeconds(30);
    store.requeue(first, "w1", "lease of w1 expired", notBefore).orElseThrow();
    assertEquals(claimed + 1, store.queueChanges(), "a re-queue counts");
    assertEquals(Optional.of(notBefore), store.nextBackoffEnd(clock.instant()));
    assertEquals(Optional.empty(), store.nextBackoffEnd(notBefore), "ended at its not-before");
    store.cancel(second).orElseThrow();
    store.fail(first, "no runs left", ErrorKind.DETERMINISTIC).orElseThrow();
    assertEquals(claimed + 3, store.queueChanges(), "a cancel and a fail count");
    assertEquals(Optional.empty(), store.nextBackoffEnd(clock.instant()), "a failed build waits for nothing");
  }

  @Test
  void unknownIdReadsAsEmpty() {
    assertTrue(store.get(store.nextId()).isEmpty());
  }

  @Test
  void insertRefusesDuplicateAndForeignIds() {
    String id = submit();
    BuildRecord again = stored(id);
    IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class, () -> store.insert(again));
    assertTrue(duplicate.getMessage().contains(id), duplicate.getMessage());
    BuildRecord foreign = BuildRecord.queued("build-1", "photon-2.0", "bootstrap", Map.of(),
        BuildPriority.NIGHTLY, "{}", clock.instant());
    assertThrows(IllegalArgumentException.class, () -> store.insert(foreign));
    assertEquals(1, store.list(BuildFilter.newest(10)).size());
  }

  @Test
  void aDuplicateInAGroupCommitFailsAloneAndItsNeighboursAreWritten() {
    String stored = submit();
    BuildRecord first = BuildRecord.queued(store.nextId(), "photon-2.0", "bootstrap", Map.of(), BuildPriority.NIGHTLY,
        "{}", clock.instant());
    BuildRecord last = BuildRecord.queued(store.nextId(), "photon-1.0", "bootstrap", Map.of(), BuildPriority.NIGHTLY,
        "{}", clock.instant());
    List<RuntimeException> outcomes = store.insertAll(List.of(first, stored(stored), first, last));
    assertNull(outcomes.get(0));
    assertTrue(outcomes.get(1) instanceof IllegalArgumentException, String.valueOf(outcomes.get(1)));
    assertTrue(outcomes.get(2) instanceof IllegalArgumentException, String.valueOf(outcomes.get(2)));
    assertNull(outcomes.get(3));
    assertEquals(List.of(last.id(), first.id(), stored), ids(store.list(BuildFilter.newest(10))));
  }

  // --- claim

  @Test
  void claimTakesQueuedBuildWithWorkerLeaseAndPlacementReason() {
    String id = submit();
    Instant until = leaseEnd();
    BuildRecord build = store.claim(id, "w1", until, "warm cache on w1").orElseThrow();
    assertEquals(BuildState.RUNNING, build.state());
    assertEquals("w1", build.worker());
    assertEquals("w1", build.leaseOwner());
    assertEquals(until, build.leaseExpiry());
    assertEquals("warm cache on w1", build.placement());
    assertEquals(clock.instant(), build.startedAt());
    assertEquals(build, stored(id));
  }

  @Test
  void claimOfRunningBuildIsRefused() {
    String id = submit();
    running(id, "w1");
    assertTrue(store.claim(id, "w2", leaseEnd(), "w2 is idle").isEmpty());
    assertEquals("w1", stored(id).leaseOwner());
  }

  @Test
  void claimOfFinishedOrCancelledOrUnknownBuildIsRefused() {
    String done = submit();
    running(done, "w1");
    store.finish(done, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    String cancelled = submit();
    store.cancel(cancelled).orElseThrow();
    assertTrue(store.claim(done, "w2", leaseEnd(), "again").isEmpty());
    assertTrue(store.claim(cancelled, "w2", leaseEnd(), "again").isEmpty());
    assertTrue(store.claim(store.nextId(), "w2", leaseEnd(), "nothing").isEmpty());
    assertEquals(BuildState.SUCCEEDED, stored(done).state());
  }

  @Test
  void claimWithLeaseInThePastIsAnError() {
    String id = submit();
    assertThrows(IllegalArgumentException.class, () -> store.claim(id, "w1", clock.instant(), "w1"));
    assertEquals(BuildState.QUEUED, stored(id).state());
  }

  @Test
  void concurrentClaimsOfOneBuildHaveExactlyOneWinner() throws Exception {
    String id = submit();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> claims = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String worker = "w" + i;
        claims.add(pool.submit(() -> {
          start.await();
          return store.claim(id, worker, leaseEnd(), "race").isPresent();
        }));
      }
      start.countDown();
      int winners = 0;
      for (Future<Boolean> claim : claims) {
        winners += claim.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertEquals(1, winners);
      assertEquals(BuildState.RUNNING, stored(id).state());
    } finally {
      pool.shutdownNow();
    }
  }

  // --- queue order

  @Test
  void interactiveBuildsComeBeforeNightlyOnesThenFirstInFirstOut() {
    String nightly1 = submit("centos-6.9", BuildPriority.NIGHTLY);
    String interactive1 = submit("photon-2.0", BuildPriority.INTERACTIVE);
    String nightly2 = submit("photon-1.0", BuildPriority.NIGHTLY);
    String interactive2 = submit("debian-12", BuildPriority.INTERACTIVE);
    List<String> order = store.nextQueued(clock.instant(), 10).stream().map(BuildRecord::id).toList();
    assertEquals(List.of(interactive1, interactive2, nightly1, nightly2), order);
    assertEquals(interactive1, store.nextQueued(clock.instant()).orElseThrow().id());
  }

  @Test
  void nextQueuedSkipsRunningBuildsAndBuildsInBackoff() {
    String first = submit();
    String second = submit();
    String third = submit();
    running(first, "w1");
    store.requeue(first, "w1", "lease of w1 expired", clock.instant().plusSeconds(30)).orElseThrow();
    running(second, "w2");
    assertEquals(List.of(third), store.nextQueued(clock.instant(), 10).stream().map(BuildRecord::id).toList());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(List.of(first, third), store.nextQueued(clock.instant(), 10).stream().map(BuildRecord::id).toList());
  }

  @Test
  void emptyQueueHasNoNextBuild() {
    assertTrue(store.nextQueued(clock.instant()).isEmpty());
  }

  @Test
  void notePlacementExplainsWhyAQueuedBuildWaits() {
    String id = submit();
    assertEquals("no live worker runs yum", store.notePlacement(id, "no live worker runs yum").orElseThrow().placement());
    running(id, "w1");
    assertTrue(store.notePlacement(id, "too late").isEmpty());
  }

  @Test
  void unnotedQueuedIsTheQueuedBuildsNoPassHasNotedInPlacementOrderPageByPage() {
    String nightly = submit("photon-2.0", BuildPriority.NIGHTLY);
    String noted = submit();
    String first = submit();
    String running = submit();
    String second = submit();
    String third = submit();
    store.notePlacement(noted, "no live worker runs tdnf");
    running(running, "w1");
    assertEquals(List.of(first, second, third, nightly), ids(store.unnotedQueued(clock.instant(), null, 10)));
    List<BuildRecord> page = store.unnotedQueued(clock.instant(), null, 2);
    assertEquals(List.of(first, second), ids(page));
    assertEquals(List.of(third, nightly), ids(store.unnotedQueued(clock.instant(), page.get(1), 2)));
    assertEquals(2, store.notePlacements(Map.of(first, "waiting", second, "waiting", running, "waiting")));
    assertEquals(List.of(third, nightly), ids(store.unnotedQueued(clock.instant(), null, 10)));
    assertEquals("waiting", store.get(first).orElseThrow().placement());
    assertEquals("waiting", store.get(second).orElseThrow().placement());
    assertNotEquals("waiting", store.get(running).orElseThrow().placement(), "a RUNNING build takes no note");
  }

  // --- leases

  @Test
  void holderRenewsItsLease() {
    String id = submit();
    running(id, "w1");
    clock.advance(Duration.ofSeconds(10));
    Instant until = leaseEnd();
    assertEquals(until, store.renewLease(id, "w1", until).orElseThrow().leaseExpiry());
    clock.advance(Duration.ofSeconds(10)); // past the first lease, inside the renewed one
    assertTrue(store.expiredLeases(clock.instant()).isEmpty());
  }

  @Test
  void renewByAnotherWorkerIsRefused() {
    String id = submit();
    BuildRecord claimed = running(id, "w1");
    assertTrue(store.renewLease(id, "w2", leaseEnd().plusSeconds(60)).isEmpty());
    assertEquals(claimed.leaseExpiry(), stored(id).leaseExpiry());
  }

  @Test
  void renewAfterExpiryIsRefused() {
    String id = submit();
    running(id, "w1");
    clock.advance(LEASE);
    assertTrue(store.renewLease(id, "w1", leaseEnd()).isEmpty());
    assertEquals(List.of(id), store.expiredLeases(clock.instant()).stream().map(BuildRecord::id).toList());
  }

  @Test
  void expiredLeasesListsOnlyRunningBuildsPastTheirLeaseOldestFirst() {
    String early = submit();
    running(early, "w1");
    clock.advance(Duration.ofSeconds(5));
    String late = submit();
    running(late, "w2");
    String queued = submit();
    assertTrue(store.expiredLeases(clock.instant()).isEmpty());
    clock.advance(Duration.ofSeconds(11)); // early expired 1 s ago, late still has 4 s
    assertEquals(List.of(early), store.expiredLeases(clock.instant()).stream().map(BuildRecord::id).toList());
    clock.advance(Duration.ofSeconds(10));
    assertEquals(List.of(early, late), store.expiredLeases(clock.instant()).stream().map(BuildRecord::id).toList());
    assertEquals(BuildState.QUEUED, stored(queued).state());
  }

  @Test
  void leasesHeldByListsThatWorkersRunningBuildsExpiredOrNotInSubmissionOrder() {
    String first = submit();
    String other = submit();
    String second = submit();
    String finished = submit();
    String queued = submit();
    running(first, "w1");
    running(other, "w2");
    running(finished, "w1");
    store.finish(finished, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    clock.advance(LEASE.plusSeconds(1)); // first's lease has run out: still w1's until re-queued
    running(second, "w1");
    assertEquals(List.of(first, second), store.leasesHeldBy("w1").stream().map(BuildRecord::id).toList());
    assertEquals(List.of(other), store.leasesHeldBy("w2").stream().map(BuildRecord::id).toList());
    assertTrue(store.leasesHeldBy("w3").isEmpty());
    store.requeue(first, "w1", "w1 left", clock.instant()).orElseThrow();
    assertEquals(List.of(second), store.leasesHeldBy("w1").stream().map(BuildRecord::id).toList());
    assertEquals(BuildState.QUEUED, stored(queued).state());
  }

  @Test
  void extendLeasesUntilMovesOnlyRunningLeasesThatEndSooner() {
    String expired = submit();
    String longer = submit();
    String queued = submit();
    running(expired, "w1");
    store.claim(longer, "w2", clock.instant().plus(Duration.ofMinutes(5)), "test").orElseThrow();
    Instant expiredEnd = stored(expired).leaseExpiry();
    Instant longerEnd = stored(longer).leaseExpiry();
    clock.advance(Duration.ofMinutes(1)); // expired's lease ran out 45 s ago; longer has 4 minutes left
    Instant until = clock.instant().plus(LEASE);

    List<BuildRecord> extended = store.extendLeasesUntil(until);

    assertEquals(List.of(expired), extended.stream().map(BuildRecord::id).toList());
    assertEquals(expiredEnd, extended.get(0).leaseExpiry(), "as it was before");
    assertEquals(until, stored(expired).leaseExpiry());
    assertEquals("w1", stored(expired).leaseOwner());
    assertTrue(store.renewLease(expired, "w1", until.plusSeconds(1)).isPresent(), "its worker can renew again");
    assertEquals(longerEnd, stored(longer).leaseExpiry());
    assertNull(stored(queued).leaseExpiry());
    assertThrows(IllegalArgumentException.class, () -> store.extendLeasesUntil(clock.instant()));
  }

  // --- finish

  @Test
  void holderFinishesWithArtifacts() {
    String id = submit();
    running(id, "w1");
    clock.advance(Duration.ofSeconds(3));
    BuildRecord done = store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    assertEquals(BuildState.SUCCEEDED, done.state());
    assertEquals(List.of(ISO), done.artifacts());
    assertEquals(clock.instant(), done.finishedAt());
    assertEquals("w1", done.worker());
    assertNull(done.leaseOwner());
    assertNull(done.leaseExpiry());
    assertEquals(done, stored(id));
  }

  @Test
  void failureIsRecordedWithItsKind() {
    String id = submit();
    running(id, "w1");
    ArtifactRecord log = new ArtifactRecord("build.log", "44".repeat(32), 99);
    BuildRecord failed = store.finish(id, "w1",
        BuildOutcome.failed("package busybox not found in photon-updates", ErrorKind.DETERMINISTIC, List.of(log)))
        .orElseThrow();
    assertEquals(BuildState.FAILED, failed.state());
    assertEquals("package busybox not found in photon-updates", failed.error());
    assertEquals(ErrorKind.DETERMINISTIC, failed.errorKind());
    assertEquals(List.of(log), failed.artifacts());
  }

  @Test
  void finishedBuildKeepsTheSha256OfItsRunsLog() {
    String log = "55".repeat(32);
    String succeeded = submit();
    running(succeeded, "w1");
    assertEquals(log, store.finish(succeeded, "w1", BuildOutcome.succeeded(List.of(ISO), log)).orElseThrow().log());
    String failed = submit();
    running(failed, "w1");
    assertEquals(log, store.finish(failed, "w1", BuildOutcome.failed("hook base.sh exited 1", ErrorKind.DETERMINISTIC,
        List.of(), log)).orElseThrow().log());
    assertNull(stored(submit()).log(), "a queued build has no log yet");
    store.close();
    store = reopen();
    assertEquals(log, stored(succeeded).log());
    assertEquals(log, stored(failed).log());
  }

  @Test
  void buildServedFromAnActionCacheKeepsWhichBuildMadeItsOutputsAcrossAReopen() {
    PackageCacheUse served = PackageCacheUse.servedFrom("b-0001");
    String id = submit();
    running(id, "w1");
    assertEquals("b-0001", store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO), null, served)).orElseThrow()
        .packageCache().cachedFrom());
    String ran = submit();
    running(ran, "w1");
    store.finish(ran, "w1", BuildOutcome.succeeded(List.of(ISO), null, new PackageCacheUse(2, 10, 3)));
    store.close();
    store = reopen();
    assertEquals(served, stored(id).packageCache());
    assertNull(stored(ran).packageCache().cachedFrom(), "a build that ran was served from no cache");
  }

  @Test
  void succeededBuildKeepsHowItUsedThePackageCacheAcrossAReopen() {
    PackageCacheUse warm = new PackageCacheUse(1, 4096, 81);
    String id = submit();
    running(id, "w1");
    assertEquals(warm, store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO), null, warm)).orElseThrow()
        .packageCache());
    assertNull(stored(submit()).packageCache(), "a queued build has no cache figures");
    store.close();
    store = reopen();
    assertEquals(warm, stored(id).packageCache());
    assertEquals(81.0 / 82, warm.hitRatio(), 1e-9);
  }

  @Test
  void whoSubmittedABuildIsKeptAcrossAReopenAndOlderBuildsHaveNone() {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "photon-2.0", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        clock.instant(), List.of(), "ci"));
    String older = submit();
    store.close();
    store = reopen();
    assertEquals("ci", stored(id).submittedBy());
    assertEquals(null, stored(older).submittedBy(), "a build recorded without a submitter reads as none");
    assertEquals("(unknown)", org.bootfarm.coordinator.BuildCoordinator.view(stored(older)).submittedBy());
  }

  @Test
  void whatABuildInstallsUncheckedIsKeptAcrossAReopen() {
    List<String> unsigned = List.of("fixture.repo [base]: gpgcheck=0", "repo-spec.json kernel: k.rpm");
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "fixture-allowed", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        clock.instant(), unsigned));
    String checked = submit();
    running(id, "w1");
    store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO)));
    assertEquals(unsigned, stored(id).unsigned(), "a finished build keeps what it was decided at submission");
    assertEquals(List.of(), stored(checked).unsigned());
    store.close();
    store = reopen();
    assertEquals(unsigned, stored(id).unsigned());
    assertEquals(List.of(), stored(checked).unsigned());
  }

  @Test
  void finishByNonHolderIsRefused() {
    String id = submit();
    running(id, "w1");
    assertTrue(store.finish(id, "w2", BuildOutcome.succeeded(List.of(ISO))).isEmpty());
    BuildRecord build = stored(id);
    assertEquals(BuildState.RUNNING, build.state());
    assertTrue(build.artifacts().isEmpty());
  }

  @Test
  void workerWhoseLeaseExpiredCannotPublish() {
    String id = submit();
    running(id, "w1");
    clock.advance(LEASE.plusMillis(1));
    assertTrue(store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).isEmpty());
    assertEquals(BuildState.RUNNING, stored(id).state());
  }

  @Test
  void formerHolderCannotPublishAfterItsBuildWasRequeuedAndClaimedElsewhere() {
    String id = submit();
    running(id, "w1");
    clock.advance(LEASE);
    store.requeue(id, "w1", "lease of w1 expired", clock.instant()).orElseThrow();
    running(id, "w2");
    assertTrue(store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).isEmpty());
    assertTrue(store.renewLease(id, "w1", leaseEnd()).isEmpty());
    BuildRecord done = store.finish(id, "w2", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    assertEquals("w2", done.worker());
  }

  @Test
  void finishedBuildCannotBeFinishedAgain() {
    String id = submit();
    running(id, "w1");
    store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    assertTrue(store.finish(id, "w1", BuildOutcome.failed("late", ErrorKind.TRANSIENT, List.of())).isEmpty());
    assertEquals(BuildState.SUCCEEDED, stored(id).state());
  }

  // --- requeue, fail, cancel

  @Test
  void requeueCountsTheAttemptDropsTheLeaseAndKeepsTheReason() {
    String id = submit();
    running(id, "w1");
    Instant notBefore = clock.instant().plusSeconds(8);
    BuildRecord again = store.requeue(id, "w1", "lease of w1 expired", notBefore).orElseThrow();
    assertEquals(BuildState.QUEUED, again.state());
    assertEquals(1, again.attempts());
    assertEquals(notBefore, again.notBefore());
    assertEquals("lease of w1 expired", again.error());
    assertEquals(ErrorKind.TRANSIENT, again.errorKind());
    assertNull(again.worker());
    assertNull(again.leaseOwner());
    running(id, "w2");
    assertEquals(2, store.requeue(id, "w2", "w2 disk full", notBefore).orElseThrow().attempts());
  }

  @Test
  void requeueNamingAWorkerThatNoLongerHoldsTheBuildIsRefused() {
    String id = submit();
    running(id, "w1");
    assertTrue(store.requeue(id, "w2", "w2 is not the holder", clock.instant()).isEmpty());
    clock.advance(LEASE);
    store.requeue(id, "w1", "lease of w1 expired", clock.instant()).orElseThrow();
    running(id, "w2");
    // a reconciler still acting on its earlier expiredLeases answer about w1
    assertTrue(store.requeue(id, "w1", "lease of w1 expired", clock.instant()).isEmpty());
    BuildRecord build = stored(id);
    assertEquals(BuildState.RUNNING, build.state());
    assertEquals("w2", build.leaseOwner());
    assertEquals(1, build.attempts());
  }

  @Test
  void requeueOfQueuedOrFinishedBuildIsRefused() {
    String queued = submit();
    assertTrue(store.requeue(queued, "w1", "why", clock.instant()).isEmpty());
    running(queued, "w1");
    store.finish(queued, "w1", BuildOutcome.succeeded(List.of())).orElseThrow();
    assertTrue(store.requeue(queued, "w1", "why", clock.instant()).isEmpty());
    assertEquals(0, stored(queued).attempts());
  }

  @Test
  void coordinatorFailsABuildWhoseAttemptsAreExhausted() {
    String id = submit();
    running(id, "w1");
    BuildRecord failed = store.fail(id, "3 attempts lost their worker", ErrorKind.TRANSIENT).orElseThrow();
    assertEquals(BuildState.FAILED, failed.state());
    assertNull(failed.leaseOwner());
    assertEquals(clock.instant(), failed.finishedAt());
    assertTrue(store.fail(id, "again", ErrorKind.TRANSIENT).isEmpty());
  }

  @Test
  void cancelOfQueuedBuildTakesItOutOfTheQueue() {
    String id = submit();
    BuildRecord cancelled = store.cancel(id).orElseThrow();
    assertEquals(BuildState.CANCELLED, cancelled.state());
    assertEquals(clock.instant(), cancelled.finishedAt());
    assertTrue(store.nextQueued(clock.instant()).isEmpty());
  }

  @Test
  void cancelOfRunningBuildNamesItsWorkerAndStopsItPublishing() {
    String id = submit();
    running(id, "w1");
    BuildRecord cancelled = store.cancel(id).orElseThrow();
    assertEquals("w1", cancelled.worker());
    assertNull(cancelled.leaseOwner());
    assertTrue(store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).isEmpty());
    assertTrue(store.renewLease(id, "w1", leaseEnd()).isEmpty());
    assertEquals(BuildState.CANCELLED, stored(id).state());
  }

  @Test
  void cancelOfFinishedBuildIsRefused() {
    String id = submit();
    running(id, "w1");
    store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    assertTrue(store.cancel(id).isEmpty());
    assertTrue(store.cancel(store.nextId()).isEmpty());
    assertEquals(BuildState.SUCCEEDED, stored(id).state());
  }

  // --- list

  @Test
  void listFiltersByRepoAndStateNewestFirstUpToTheLimit() {
    String a1 = submit("photon-2.0", BuildPriority.INTERACTIVE);
    String b1 = submit("centos-6.9", BuildPriority.INTERACTIVE);
    String a2 = submit("photon-2.0", BuildPriority.NIGHTLY);
    String a3 = submit("photon-2.0", BuildPriority.INTERACTIVE);
    running(a2, "w1");
    assertEquals(List.of(a3, a2, b1, a1), ids(store.list(BuildFilter.newest(10))));
    assertEquals(List.of(a3, a2, a1), ids(store.list(new BuildFilter("photon-2.0", null, 10))));
    assertEquals(List.of(a3, a1), ids(store.list(new BuildFilter("photon-2.0", BuildState.QUEUED, 10))));
    assertEquals(List.of(a2), ids(store.list(new BuildFilter(null, BuildState.RUNNING, 10))));
    assertEquals(List.of(a3, a2), ids(store.list(new BuildFilter("photon-2.0", null, 2))));
    assertTrue(store.list(new BuildFilter("debian-12", null, 10)).isEmpty());
  }

  // --- retention

  @Test
  void retentionKeepsTheNewestSuccessfulBuildsPerRepoAndTargetAndPinnedOnes() {
    List<String> photon = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      photon.add(succeeded("photon-2.0"));
    }
    List<String> centos = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      centos.add(succeeded("centos-6.9"));
    }
    String failed = submit("photon-2.0", BuildPriority.NIGHTLY);
    running(failed, "w1");
    store.finish(failed, "w1", BuildOutcome.failed("hook exited 1", ErrorKind.DETERMINISTIC, List.of())).orElseThrow();
    store.pin(photon.get(1)).orElseThrow();

    // keep 2 per repo+target: photon 3 and 4 are newest, 1 is pinned; 0 and 2 go; centos keeps both
    assertEquals(List.of(photon.get(0), photon.get(2)), ids(store.beyondRetention(2)));
    store.unpin(photon.get(1)).orElseThrow();
    assertEquals(List.of(photon.get(0), photon.get(1), photon.get(2)), ids(store.beyondRetention(2)));
    assertEquals((5 - 1) + (2 - 1), store.beyondRetention(1).size());
    assertTrue(store.beyondRetention(5).isEmpty());
    assertTrue(store.pin(store.nextId()).isEmpty());
  }

  private String succeeded(String repo) {
    String id = submit(repo, BuildPriority.NIGHTLY);
    running(id, "w1");
    clock.advance(Duration.ofSeconds(1));
    store.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    return id;
  }

  // --- durability and the file

  @Test
  void everythingSurvivesCloseAndReopen() {
    String queued = submit("centos-6.9", BuildPriority.NIGHTLY);
    String done = submit();
    running(done, "w1");
    store.finish(done, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    store.pin(done).orElseThrow();
    String runningId = submit();
    running(runningId, "w2");
    List<BuildRecord> before = store.list(BuildFilter.newest(10));
    store.close();

    store = reopen();
    assertEquals(before, store.list(BuildFilter.newest(10)));
    assertEquals(queued, store.nextQueued(clock.instant()).orElseThrow().id());
    assertTrue(store.nextId().compareTo(runningId) > 0);
  }

  @Test
  void idsIssuedAfterReopenSortAfterStoredOnesEvenWhenTheClockSteppedBack() {
    String last = submit();
    store.close();
    clock.set(Instant.parse("2025-06-01T00:00:00Z"));
    store = reopen();
    assertTrue(store.nextId().compareTo(last) > 0);
  }

  void closedStoreSaysSo() {
    store.close();
    IllegalStateException closed = assertThrows(IllegalStateException.class, () -> store.get("x"));
    assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
  }

  @Test
  void manyThreadsInsertAndEveryBuildIsThereOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(6);
    Set<String> inserted = ConcurrentHashMap.newKeySet();
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        work.add(pool.submit(() -> {
          for (int i = 0; i < 10; i++) {
            String id = store.nextId();
            store.insert(BuildRecord.queued(id, "photon-2.0", "bootstrap", Map.of(), BuildPriority.NIGHTLY, "{}",
                clock.instant()));
            inserted.add(id);
          }
          return null;
        }));
      }
      for (Future<?> f : work) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<String> queue = ids(store.nextQueued(clock.instant(), 100));
    assertEquals(60, queue.size());
    assertEquals(inserted, Set.copyOf(queue));
    assertEquals(queue.stream().sorted().toList(), queue, "same priority: FIFO by id");
  }

  static List<String> ids(List<BuildRecord> builds) {
    return builds.stream().map(BuildRecord::id).collect(Collectors.toList());
  }
}
