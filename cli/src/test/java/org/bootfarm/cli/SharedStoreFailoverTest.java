package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.PostgresServer;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two {@code bootfarm coordinator}s on one PostgreSQL store ({@code --store}, docs/adr/0039) and one worker, each
 * its own JVM: the active coordinator is killed with SIGKILL right after it answered a submit, with no wait for its
 * artifacts to be copied; the standby takes the term and the build runs to SUCCEEDED (docs/adr/0042). Then both coordinators are stopped and started in the other order, and every
 * accepted build is still there, read through either coordinator. A coordinator on its own SQLite file that tries
 * to join is refused, saying to use {@code --store postgresql://}. Last, the active coordinator's lock session is
 * terminated: it exits with 75 and the standby takes the next term.
 */
@Tag("process")
class SharedStoreFailoverTest {
  @TempDir static Path dir;
  static PostgresServer postgres;
  static FailoverFarm farm;
  static FixtureYumRepo repo;
  static String store;
  static String database;
  static Path repos;
  static Path keys;
  static String cluster;
  static final int[] CLUSTER_PORTS = new int[2];
  static final int[] HTTP_PORTS = new int[2];

  @BeforeAll
  static void start() throws Exception {
    farm = new FailoverFarm(dir);
    postgres = PostgresServer.start();
    database = postgres.createDatabase();
    store = postgres.storeUrl(database);
    repo = FixtureYumRepo.start();
    repos = Files.createDirectories(dir.resolve("repos"));
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    keys = Files.createDirectories(dir.resolve("keys"));
    for (int i = 0; i < 2; i++) {
      CLUSTER_PORTS[i] = FreePorts.one();
      HTTP_PORTS[i] = FreePorts.one();
    }
    cluster = "shared-store-" + CLUSTER_PORTS[0];
  }

  @AfterAll
  static void stop() throws Exception {
    if (farm != null) {
      farm.close();
    }
    if (repo != null) {
      repo.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  /** Coordinator {@code n} (0 or 1), its log {@code name}, joining the other one's cluster port. */
  static Process coordinator(int n, String name) throws Exception {
    return farm.start(name, List.of("coordinator", "--bridge-port", "0", "--data-dir",
        dir.resolve("c" + n).toString(), "--repos", repos.toString(), "--keys",
        keys.toString(), "--http-port", String.valueOf(HTTP_PORTS[n]), "--cluster-name", cluster, "--cluster-port",
        String.valueOf(CLUSTER_PORTS[n]), "--join", "127.0.0.1:" + CLUSTER_PORTS[1 - n], "--store", store));
  }

  /** The warnings of a coordinator's log, for a failure's message. */
  static String warnings(Path log) {
    try (var lines = Files.lines(log)) {
      return String.join("\n", lines.filter(line -> line.contains("WARN") || line.contains("ERROR")).toList());
    } catch (java.io.IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  static String api(int n) {
    return "http://127.0.0.1:" + HTTP_PORTS[n];
  }

  @Test
  void aSubmitAnsweredJustBeforeAKillRunsOnTheStandbyAndEveryBuildOutlivesAFullRestart() throws Exception {
    Process first = coordinator(0, "coordinator-1");
    farm.awaitLine("coordinator-1", "is now active", 90);
    farm.awaitLine("coordinator-1", "holds term", 5);
    Process second = coordinator(1, "coordinator-2");
    String standing = farm.awaitLine("coordinator-2", "is a standby", 90);
    assertTrue(standing.contains("reading the shared store"), standing);
    // a coordinator on its own SQLite file cannot join: the others would never see the builds it accepts
    Process alone = farm.start("coordinator-sqlite", List.of("coordinator", "--bridge-port", "0", "--data-dir",
        dir.resolve("c-sqlite").toString(), "--repos", repos.toString(), "--keys", keys.toString(), "--http-port",
        String.valueOf(FreePorts.one()), "--cluster-name", cluster, "--cluster-port", String.valueOf(FreePorts.one()),
        "--join", "127.0.0.1:" + CLUSTER_PORTS[0]));
    assertTrue(alone.waitFor(120, TimeUnit.SECONDS), "a second coordinator on SQLite exits");
    assertTrue(alone.exitValue() != 0, "exit code " + alone.exitValue());
    String refusal = farm.awaitLine("coordinator-sqlite", "--store postgresql://", 5);
    assertTrue(refusal.contains("keeps its builds in its own SQLite file"), refusal);
    farm.start("worker", List.of("worker", "--data-dir",
        dir.resolve("w").toString(), "--cache-dir",
        dir.resolve("w/cache").toString(), "--keys", keys.toString(), "--cluster-name",
        cluster, "--cluster-port", String.valueOf(FreePorts.one()), "--slots", "1", "--metrics-port", "0",
        "--no-action-cache", "--join", "127.0.0.1:" + CLUSTER_PORTS[0] + ",127.0.0.1:" + CLUSTER_PORTS[1]));
    farm.awaitLine("worker", " ready: ", 90);

    Map<String, String> components = Map.of("tether", farm.upload(api(0), "tether\n"),
        "unpack", farm.upload(api(0), "unpack\n"));
    String definition = null;
    for (JsonNode repo : farm.get(api(0), "/api/v1/repos").get("repos")) {
      definition = FixtureDefinitions.TDNF.equals(repo.get("name").asText()) ? repo.get("digest").asText() : definition;
    }
    long submitting = System.nanoTime();
    String accepted = farm.submit(api(0), components);
    System.out.println("submit answered in " + (System.nanoTime() - submitting) / 1_000_000 + " ms");
    // the build's pinned definition and its components are artifacts, not rows of the shared store: the submit
    // answered only once the standby confirmed it holds them (docs/adr/0042). Read on its disk, not asked over HTTP,
    // so the check opens no window of its own before the kill
    for (String sha : List.of(definition, components.get("tether"), components.get("unpack"))) {
      assertTrue(Files.exists(dir.resolve("c1/coordinator/artifacts/objects").resolve(sha.substring(0, 2)).resolve(sha)),
          () -> "the standby held " + sha + " when the submit answered; the active coordinator said: "
              + warnings(dir.resolve("coordinator-1.log")));
    }
    first.destroyForcibly(); // SIGKILL, right after the answer: no wait for any copy
    first.waitFor();
    String takeover = farm.awaitLine("coordinator-2", "is now active", 30);
    System.out.println(takeover);
    assertTrue(farm.awaitLine("coordinator-2", "holds term", 5).contains("holds term 2"));
    JsonNode ran = farm.awaitBuild(api(1), accepted, FailoverFarm::finished);
    assertEquals("SUCCEEDED", ran.get("state").asText(), ran::toString);
    assertEquals(definition, ran.get("definitionDigest").asText(), "built with the definition it was pinned to");
    String afterTakeover = farm.submit(api(1), components);

    // a full restart, in the other order: the second coordinator first, now holding term 3
    second.destroyForcibly();
    second.waitFor();
    Process secondAgain = coordinator(1, "coordinator-2-again");
    farm.awaitLine("coordinator-2-again", "is now active", 90);
    assertTrue(farm.awaitLine("coordinator-2-again", "holds term", 5).contains("holds term 3"));
    coordinator(0, "coordinator-1-again");
    farm.awaitLine("coordinator-1-again", "is a standby", 90);
    for (int n = 0; n < 2; n++) {
      JsonNode builds = farm.get(api(n), "/api/v1/builds?limit=10").get("builds");
      Set<String> ids = new HashSet<>();
      builds.forEach(b -> ids.add(b.get("id").asText()));
      assertEquals(Set.of(accepted, afterTakeover), ids, "every accepted build, read through " + api(n));
    }
    JsonNode runAfterRestart = farm.awaitBuild(api(0), afterTakeover,
        FailoverFarm::finished);
    assertEquals("SUCCEEDED", runAfterRestart.get("state").asText(), runAfterRestart::toString);
    assertTrue(secondAgain.isAlive());

    // the active coordinator's lock session is lost (a cut between it and the database): it stops acting and
    // exits with 75 to be started again as a standby, and the standby takes term 4
    try (Connection admin = postgres.connect(database); Statement statement = admin.createStatement();
        ResultSet killed = statement.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_locks"
            + " WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database"
            + " WHERE datname = current_database())")) {
      assertTrue(killed.next() && killed.getBoolean(1), "terminated the session holding the term lock");
    }
    assertTrue(secondAgain.waitFor(60, TimeUnit.SECONDS), "the coordinator that lost its term exits");
    assertEquals(75, secondAgain.exitValue());
    assertTrue(farm.awaitLine("coordinator-2-again", "lost its term", 5).contains("lost its term 3"));
    assertTrue(farm.awaitLine("coordinator-1-again", "holds term", 30).contains("holds term 4"));
    JsonNode builds = farm.get(api(0), "/api/v1/builds?limit=10").get("builds");
    assertEquals(2, builds.size(), builds::toString);
  }
}
