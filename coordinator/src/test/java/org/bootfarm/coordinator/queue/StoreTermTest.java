package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bootfarm.cluster.identity.SignedRecords;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.testkit.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Terms and fencing on a real PostgreSQL server (docs/adr/0039): two coordinators' stores on one database; the
 * one holding the term writes, a standby cannot, and once the active one's lock session dies and the other begins
 * the next term, every write of the old term is refused by the database while reads go on for both.
 */
@Tag("unit")
class StoreTermTest {
  private static final ArtifactRecord ISO = new ArtifactRecord("bootstrap.iso", "33".repeat(32), 1234);
  private final Clock clock = Clock.systemUTC();
  private PostgresServer server;
  private String name;
  private StoreDatabase a;
  private StoreDatabase b;
  private SqlBuildStore storeA;
  private SqlBuildStore storeB;
  private NightlyStore nightlyA;
  private NightlyStore nightlyB;
  private StoreTerm termA;
  private StoreTerm termB;

  @BeforeEach
  void open() {
    server = PostgresServer.shared();
    name = server.createDatabase();
    a = StoreDatabase.postgresql(server.storeUrl(name), null);
    b = StoreDatabase.postgresql(server.storeUrl(name), null);
    storeA = SqlBuildStore.open(a, clock);
    storeB = SqlBuildStore.open(b, clock);
    nightlyA = NightlyStore.open(a);
    nightlyB = NightlyStore.open(b);
  }

  @AfterEach
  void close() {
    for (AutoCloseable closing : new AutoCloseable[] {termA, termB, nightlyA, nightlyB, storeA, storeB}) {
      try {
        if (closing != null) {
          closing.close();
        }
      } catch (Exception ignored) {
        // the next test has a database of its own
      }
    }
  }

  private String submit(SqlBuildStore store) {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "photon-2.0", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        clock.instant()));
    return id;
  }

  private static NightlyReport run(String id) {
    return new NightlyReport(id, NightlyReport.ON_DEMAND, null, java.time.Instant.now().toString(), null, List.of(),
        List.of());
  }

  @Test
  void aStandbyReadsButCannotWriteAndOnlyOneTermIsHeldAtATime() {
    termA = StoreTerm.tryBegin(a, "coordinator-a", clock).orElseThrow();
    assertEquals(1, termA.epoch());
    String id = submit(storeA);
    assertTrue(nightlyA.insertRun(run("manual-a")));

    assertEquals(Optional.empty(), StoreTerm.tryBegin(b, "coordinator-b", clock), "the lock is A's");
    FencedWriteException refused = assertThrows(FencedWriteException.class, () -> submit(storeB));
    assertTrue(refused.getMessage().contains("holds no term") && refused.getMessage().contains("coordinator-a holds"
        + " term 1"), refused.getMessage());
    assertThrows(FencedWriteException.class, () -> storeB.cancel(id));
    assertThrows(FencedWriteException.class, () -> nightlyB.putRun(run("manual-b")));

    assertEquals(BuildState.QUEUED, storeB.get(id).orElseThrow().state(), "a standby reads what the active wrote");
    assertEquals(1, nightlyB.runs(10).size());
    assertTrue(termA.held());
  }

  @Test
  void whenTheActiveOnesLockSessionDiesTheNextTermFencesEveryWriteOfTheOldOne() throws Exception {
    termA = StoreTerm.tryBegin(a, "coordinator-a", clock).orElseThrow();
    String queued = submit(storeA);
    String running = submit(storeA);
    storeA.claim(running, "w1", clock.instant().plusSeconds(60), "test").orElseThrow();

    // A's lock session is lost (a network cut, a crash): its data sessions live on
    try (Connection admin = server.connect(name); Statement statement = admin.createStatement();
        ResultSet killed = statement.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_locks"
            + " WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database"
            + " WHERE datname = current_database())")) {
      assertTrue(killed.next() && killed.getBoolean(1), "terminated the session holding the term lock");
    }
    assertFalse(termA.held(), "A sees its term is gone");
    termB = StoreTerm.tryBegin(b, "coordinator-b", clock).orElseThrow();
    assertEquals(2, termB.epoch());
    storeB.catchUpIds();

    for (Runnable write : List.<Runnable>of(() -> submit(storeA), () -> storeA.cancel(queued),
        () -> storeA.finish(running, "w1", BuildOutcome.succeeded(List.of(ISO))), () -> storeA.pin(running),
        () -> storeA.extendLeasesUntil(clock.instant().plusSeconds(30)), () -> nightlyA.putRun(run("manual-a")))) {
      FencedWriteException refused = assertThrows(FencedWriteException.class, write::run);
      assertTrue(refused.getMessage().contains("this coordinator's term 1 ended; coordinator coordinator-b holds"
          + " term 2"), refused.getMessage());
    }
    assertEquals(BuildState.QUEUED, storeA.get(queued).orElseThrow().state(), "A still reads");
    assertEquals(BuildState.RUNNING, storeA.get(running).orElseThrow().state(), "none of A's writes landed");

    String later = submit(storeB);
    assertTrue(later.compareTo(running) > 0, "B's ids come after A's");
    assertEquals(BuildState.SUCCEEDED, storeB.finish(running, "w1", BuildOutcome.succeeded(List.of(ISO)))
        .orElseThrow().state());
    assertTrue(storeB.cancel(queued).isPresent());
    assertTrue(nightlyB.insertRun(run("manual-b")));
    assertEquals(3, storeA.list(BuildFilter.newest(10)).size(), "A reads B's writes");
  }

  @Test
  void aNewTermWaitsForTheOldTermsWriteInFlightAndRefusesItsNextOne() throws Exception {
    termA = StoreTerm.tryBegin(a, "coordinator-a", clock).orElseThrow();
    String id = submit(storeA);
    try (Connection inFlight = server.connect(name); Statement statement = inFlight.createStatement()) {
      statement.execute("SELECT set_config('bootfarm.epoch', '1', false)");
      inFlight.setAutoCommit(false);
      statement.executeUpdate("UPDATE builds SET placement = 'in flight' WHERE id = '" + id + "'");
      termA.close(); // the lock frees while A's write is still open
      CompletableFuture<StoreTerm> next = CompletableFuture.supplyAsync(
          () -> StoreTerm.tryBegin(b, "coordinator-b", clock).orElseThrow());
      assertThrows(TimeoutException.class, () -> next.get(500, TimeUnit.MILLISECONDS), "B waits for A's write");
      inFlight.commit();
      termB = next.get(10, TimeUnit.SECONDS);
      assertEquals(2, termB.epoch());
      assertEquals("in flight", storeB.get(id).orElseThrow().placement(), "the write begun in term 1 landed");
      java.sql.SQLException late = assertThrows(java.sql.SQLException.class,
          () -> statement.executeUpdate("UPDATE builds SET placement = 'late' WHERE id = '" + id + "'"));
      assertEquals(FencedWriteException.SQLSTATE, late.getSQLState());
      inFlight.rollback();
    }
  }
}
