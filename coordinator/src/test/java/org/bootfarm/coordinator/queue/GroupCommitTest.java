package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group commit of submissions (docs/adr/0045), on each engine by a subclass ({@link SqliteGroupCommitTest},
 * {@link PostgresGroupCommitTest}): a record is answered as inserted only once the transaction that holds it has
 * committed; when the commit fails, every build of the batch is refused with the error and none is stored, and a
 * bad record (a duplicate id) is refused alone. The database refuses the commit itself for builds of repo {@link
 * #COMMIT_FAILS} ({@link #refuseCommitsOf}), as a full disk or a lost server would: the statements succeed, the
 * commit does not.
 */
@Tag("unit")
abstract class GroupCommitTest {
  /** Builds of this repo make the commit of their transaction fail. */
  static final String COMMIT_FAILS = "commit-fails";

  @TempDir Path dir;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));
  SqlBuildStore store;

  /** Opens the store of this test's database: the same one each time within a test, a fresh one for each test. */
  abstract SqlBuildStore reopen();

  /**
   * Makes the database refuse, at COMMIT (not at the INSERT), every transaction that inserted a build of {@code
   * repo}, using {@code session}, a session of the store's database.
   */
  abstract void refuseCommitsOf(Connection session, String repo) throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = reopen();
    try (Connection session = store.database().connect()) {
      refuseCommitsOf(session, COMMIT_FAILS);
    }
  }

  @AfterEach
  void close() {
    store.close();
  }

  private BuildRecord queued(String repo) {
    return BuildRecord.queued(store.nextId(), repo, "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        clock.instant());
  }

  @Test
  void aBatchWhoseCommitFailsRefusesEveryBuildInItAndStoresNone() {
    BuildRecord before = queued("photon-2.0");
    BuildRecord failing = queued(COMMIT_FAILS);
    BuildRecord after = queued("photon-1.0");
    List<RuntimeException> outcomes = store.insertAll(List.of(before, failing, after));
    for (int i = 0; i < outcomes.size(); i++) {
      assertNotNull(outcomes.get(i), "build " + i + " of a batch whose commit failed was answered as written");
      assertTrue(outcomes.get(i).getMessage().contains("cannot insert 3 build(s)"), outcomes.get(i).getMessage());
    }
    assertFalse(store.get(before.id()).isPresent());
    assertFalse(store.get(failing.id()).isPresent());
    assertFalse(store.get(after.id()).isPresent());
    // the failed transaction left the session usable, still under this coordinator's term (its epoch survived it)
    BuildRecord next = queued("photon-2.0");
    store.insert(next);
    assertTrue(store.notePlacement(next.id(), "no live worker").isPresent());
    store.close();
    store = reopen();
    assertTrue(store.get(next.id()).isPresent());
    assertFalse(store.get(before.id()).isPresent());
  }

  @Test
  void aBadBuildInABatchIsRefusedAloneAndItsBatchMatesAreCommitted() {
    BuildRecord first = queued("photon-2.0");
    BuildRecord last = queued("photon-1.0");
    List<RuntimeException> outcomes = store.insertAll(List.of(first, first, last));
    assertNull(outcomes.get(0));
    assertTrue(outcomes.get(1) instanceof IllegalArgumentException, String.valueOf(outcomes.get(1)));
    assertNull(outcomes.get(2));
    store.close();
    store = reopen();
    assertTrue(store.get(first.id()).isPresent());
    assertTrue(store.get(last.id()).isPresent());
  }

  @Test
  void severalRecordsOfOneThreadJoinTheGroupCommitBesideOtherThreadsAndEachOutcomeIsItsOwn() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> singles = new ArrayList<>();
      List<BuildRecord> alone = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        BuildRecord build = queued("photon-1.0");
        alone.add(build);
        singles.add(pool.submit(() -> store.insert(build)));
      }
      List<BuildRecord> batch = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        batch.add(queued("photon-2.0"));
      }
      batch.add(batch.get(5)); // a duplicate fails alone
      List<RuntimeException> outcomes = store.insertEach(batch);
      assertEquals(65, outcomes.size());
      for (int i = 0; i < 64; i++) {
        assertNull(outcomes.get(i), "build " + i + " of the batch: " + outcomes.get(i));
      }
      assertTrue(outcomes.get(64) instanceof IllegalArgumentException, String.valueOf(outcomes.get(64)));
      for (Future<?> single : singles) {
        single.get(60, TimeUnit.SECONDS);
      }
      store.close();
      store = reopen();
      for (BuildRecord build : batch.subList(0, 64)) {
        assertTrue(store.get(build.id()).isPresent(), "build " + build.id() + " answered as written is not stored");
      }
      for (BuildRecord build : alone) {
        assertTrue(store.get(build.id()).isPresent(), "build " + build.id() + " answered as written is not stored");
      }
      List<BuildRecord> failing = List.of(queued("photon-2.0"), queued(COMMIT_FAILS));
      List<RuntimeException> refused = store.insertEach(failing);
      assertNotNull(refused.get(0), "a record committed with one the database refused was answered as written");
      assertNotNull(refused.get(1));
      assertFalse(store.get(failing.get(0).id()).isPresent());
      assertEquals(List.of(), store.insertEach(List.of()));
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void concurrentInsertsReturnOnlyForBuildsThatAreStoredAndFailOnlyForBuildsThatAreNot() throws Exception {
    int threads = 32;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<BuildRecord> builds = new ArrayList<>();
    List<Future<?>> inserts = new ArrayList<>();
    try {
      for (int i = 0; i < 4 * threads; i++) {
        BuildRecord build = queued(i % 7 == 3 ? COMMIT_FAILS : "photon-2.0");
        builds.add(build);
        inserts.add(pool.submit(() -> {
          start.await();
          store.insert(build);
          return null;
        }));
      }
      start.countDown();
      int accepted = 0;
      int refused = 0;
      for (int i = 0; i < builds.size(); i++) {
        boolean returned;
        try {
          inserts.get(i).get(60, TimeUnit.SECONDS);
          returned = true;
        } catch (java.util.concurrent.ExecutionException e) {
          assertTrue(e.getCause() instanceof BuildStoreException, String.valueOf(e.getCause()));
          returned = false;
        }
        accepted += returned ? 1 : 0;
        refused += returned ? 0 : 1;
        BuildRecord build = builds.get(i);
        if (build.repo().equals(COMMIT_FAILS)) {
          assertFalse(returned, "build " + build.id() + " whose commit the database refused was answered as written");
        }
        assertEquals(returned, store.get(build.id()).isPresent(), "build " + build.id() + " was "
            + (returned ? "answered as written but is not stored" : "refused but is stored"));
      }
      assertTrue(refused >= builds.stream().filter(b -> b.repo().equals(COMMIT_FAILS)).count());
      assertTrue(accepted > 0 || refused == builds.size());
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    }
    store.close();
    store = reopen();
    for (BuildRecord build : builds) {
      if (build.repo().equals(COMMIT_FAILS)) {
        assertFalse(store.get(build.id()).isPresent(), "build " + build.id() + " is stored though its commit failed");
      }
    }
    BuildRecord after = queued("photon-2.0");
    store.insert(after);
    assertTrue(store.get(after.id()).isPresent());
  }

  @Test
  void placementNotesOfAPageAreOneTransactionAndSkipBuildsNoLongerQueued() {
    BuildRecord waiting = queued("photon-2.0");
    BuildRecord cancelled = queued("photon-1.0");
    store.insert(waiting);
    store.insert(cancelled);
    store.cancel(cancelled.id());
    clock.advance(Duration.ofMillis(1));
    assertEquals(1, store.notePlacements(Map.of(waiting.id(), "no live worker runs tdnf",
        cancelled.id(), "no live worker runs tdnf")));
    assertEquals("no live worker runs tdnf", store.get(waiting.id()).orElseThrow().placement());
    assertEquals(0, store.notePlacements(Map.of()));
    assertThrows(IllegalArgumentException.class, () -> store.insert(waiting));
  }
}
