package org.bootfarm.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.Gate;
import org.bootfarm.testkit.PostgresServer;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code bootfarm coordinator}s on one PostgreSQL store (ADR 0039) and one {@code bootfarm worker} as separate
 * JVMs on 127.0.0.1: the first coordinator is active, the second a standby whose HTTP API forwards to it; a build
 * submitted through the standby succeeds. Then, with one build running and another queued behind it
 * (the worker has one slot; staging.sh waits at a gate the test opens after the kill), the active
 * coordinator is killed with kill -9: the standby takes over, both builds end SUCCEEDED, the whole
 * history is on the survivor's API and every artifact downloads from the survivor with its sha256. A
 * third coordinator joining the survivor afterwards starts as a standby with the history and copies
 * every artifact.
 */
@Tag("process")
class CoordinatorFailoverTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static Process active;
  static String activeApi;
  static String standbyApi;
  static String clusterName;
  static int secondClusterPort;
  static PostgresServer postgres;
  static FailoverFarm farm;
  static String store;

  /** Every build waits in staging.sh until the test lets it go on. */
  static final Gate GATE = new Gate("coordinator-failover");

  @BeforeAll
  static void startFarm() throws Exception {
    farm = new FailoverFarm(dir);
    repo = FixtureYumRepo.start();
    postgres = PostgresServer.start();
    store = postgres.storeUrl(postgres.createDatabase());
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    // every build waits in staging.sh, which runs in every build (base may come from the stage cache),
    // until the test lets it go on
    FixtureBuilds.gateInStaging(definition, GATE);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    int firstPort = FreePorts.one();
    int secondPort = FreePorts.one();
    int firstHttp = FreePorts.one();
    int secondHttp = FreePorts.one();
    String cluster = "failover-test-" + firstPort;
    clusterName = cluster;
    secondClusterPort = secondPort;
    active = farm.start("coordinator-1", List.of("coordinator", "--bridge-port", "0", "--data-dir", dir.resolve("c1").toString(),
        "--repos", repos.toString(), "--keys", keys.toString(), "--http-port", String.valueOf(firstHttp),
        "--cluster-name", cluster, "--cluster-port", String.valueOf(firstPort), "--store", store));
    farm.awaitLine("coordinator-1", " ready: ", 90);
    farm.start("coordinator-2", List.of("coordinator", "--bridge-port", "0", "--data-dir", dir.resolve("c2").toString(),
        "--repos", repos.toString(), "--keys", keys.toString(), "--http-port", String.valueOf(secondHttp),
        "--cluster-name", cluster, "--cluster-port", String.valueOf(secondPort),
        "--join", "127.0.0.1:" + firstPort, "--store", store));
    farm.awaitLine("coordinator-2", " ready: ", 90);
    farm.start("worker", List.of("worker", "--data-dir", dir.resolve("w").toString(), "--cache-dir",
        dir.resolve("w/cache").toString(), "--keys", keys.toString(), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(FreePorts.one()), "--slots", "1", "--metrics-port", "0",
        "--no-action-cache", "--join", "127.0.0.1:" + firstPort + ",127.0.0.1:" + secondPort));
    farm.awaitLine("worker", " ready: ", 90);
    activeApi = "http://127.0.0.1:" + firstHttp;
    standbyApi = "http://127.0.0.1:" + secondHttp;
  }

  @AfterAll
  static void stopFarm() throws Exception {
    if (farm != null) {
      farm.close();
    }
    if (System.getenv("KEEP_LOGS") != null) {
      for (String name : List.of("coordinator-1", "coordinator-2", "coordinator-3", "worker")) {
        if (Files.exists(dir.resolve(name + ".log"))) {
          Files.copy(dir.resolve(name + ".log"), Path.of(System.getenv("KEEP_LOGS"), name + ".log"),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    repo.close();
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void killedActiveCoordinatorsBuildsCompleteOnTheStandby() throws Exception {
    assertTrue(Files.readString(dir.resolve("coordinator-1.log")).contains("is now active"));
    farm.awaitLine("coordinator-2", "is a standby", 5);
    JsonNode workers = Eventually.value(Duration.ofSeconds(10), () -> farm.get(standbyApi, "/api/v1/workers").get("workers"),
        listed -> listed.size() >= 1);
    assertEquals(1, workers.size(), "the standby answers with the active coordinator's worker table: " + workers);

    // the standby's HTTP: errors as the active one gives them, then a build with components uploaded to it
    HttpResponse<String> unknownOnStandby = farm.send(standbyApi, "GET", "/api/v1/builds/01ARZ3NDEKTSV4RRFFQ69G5FAV", null);
    HttpResponse<String> unknownOnActive = farm.send(activeApi, "GET", "/api/v1/builds/01ARZ3NDEKTSV4RRFFQ69G5FAV", null);
    assertEquals(404, unknownOnStandby.statusCode(), unknownOnStandby.body());
    assertEquals(unknownOnActive.body(), unknownOnStandby.body());
    String badRepo = "{\"repo\": \"no-such-repo\"}";
    HttpResponse<String> refusedOnStandby = farm.send(standbyApi, "POST", "/api/v1/builds", badRepo);
    HttpResponse<String> refusedOnActive = farm.send(activeApi, "POST", "/api/v1/builds", badRepo);
    assertEquals(400, refusedOnStandby.statusCode(), refusedOnStandby.body());
    assertEquals(refusedOnActive.body(), refusedOnStandby.body());
    Map<String, String> components = Map.of("tether", farm.upload(standbyApi, "tether\n"),
        "unpack", farm.upload(standbyApi, "unpack\n"));
    String firstId = farm.submit(standbyApi, components);
    GATE.pass(dir, Duration.ofMinutes(2));
    JsonNode first = farm.awaitBuild(standbyApi, firstId, FailoverFarm::finished);
    assertEquals("SUCCEEDED", first.get("state").asText(), first::toString);
    assertEquals(4, first.get("artifacts").size(), "ISO, buildinfo, manifest, signed provenance: " + first);
    // metrics: the active one counts the build; the standby says it is one, counts nothing, and reports the
    // gauges from its own copy (its worker table from the heartbeats)
    // (the active one counts after its write, which the standby's copy may show first: wait for the count)
    String finishedCount = "\nbootfarm_builds_finished_total{outcome=\"succeeded\",repo=\""
        + FixtureDefinitions.TDNF + "\",target=\"bootstrap\"} 1.0\n";
    await().atMost(Duration.ofSeconds(15)).until(() -> farm.send(activeApi, "GET", "/metrics", null).body()
        .contains(finishedCount));
    String activeMetrics = farm.send(activeApi, "GET", "/metrics", null).body();
    String standbyMetrics = farm.send(standbyApi, "GET", "/metrics", null).body();
    assertTrue(activeMetrics.contains("\nbootfarm_coordinator_active 1.0\n"), activeMetrics);
    assertTrue(standbyMetrics.contains("\nbootfarm_coordinator_active 0.0\n"), standbyMetrics);
    assertTrue(activeMetrics.contains(finishedCount), activeMetrics);
    assertFalse(standbyMetrics.contains("bootfarm_builds_finished_total{"), "counters only where the event is handled");
    assertTrue(standbyMetrics.contains("\nbootfarm_workers_live 1.0\n"), standbyMetrics);
    assertTrue(standbyMetrics.contains("\nbootfarm_queue_depth{priority=\"interactive\"} 0.0\n"), standbyMetrics);

    // one build running on the worker's only slot, one queued behind it; then kill -9 of the active one
    String runningId = farm.submit(standbyApi, components);
    GATE.awaitReached(dir, Duration.ofMinutes(2));
    JsonNode running = farm.awaitBuild(standbyApi, runningId, b -> b.get("state").asText().equals("RUNNING") || FailoverFarm.finished(b));
    assertEquals("RUNNING", running.get("state").asText(), running::toString);
    String queuedId = farm.submit(standbyApi, components);
    // a few assign ticks: it may stay QUEUED or be leased to the busy worker, to wait for its slot
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> List.of("QUEUED", "RUNNING")
        .contains(farm.get(standbyApi, "/api/v1/builds/" + queuedId).get("state").asText()));
    JsonNode queued = farm.get(standbyApi, "/api/v1/builds/" + queuedId);
    assertTrue(List.of("QUEUED", "RUNNING").contains(queued.get("state").asText()), queued::toString);
    assertEquals("RUNNING", farm.get(standbyApi, "/api/v1/builds/" + runningId).get("state").asText());
    Instant killedAt = Instant.now();
    active.destroyForcibly().waitFor();
    String takeover = farm.awaitLine("coordinator-2", "is now active", 30);
    Instant activeAt = Instant.now();
    System.out.println(takeover);

    JsonNode rerun;
    JsonNode second;
    try (AutoCloseable open = GATE.keepOpening(dir)) {
      rerun = farm.awaitBuild(standbyApi, runningId, FailoverFarm::finished);
      second = farm.awaitBuild(standbyApi, queuedId, FailoverFarm::finished);
    }
    assertEquals("SUCCEEDED", rerun.get("state").asText(), rerun::toString);
    assertEquals("SUCCEEDED", second.get("state").asText(), second::toString);
    assertEquals(FarmProcesses.outputs(first), FarmProcesses.outputs(rerun), "the same inputs built the same bytes");
    assertEquals(FarmProcesses.outputs(first), FarmProcesses.outputs(second), "the same inputs built the same bytes");
    // the builds the new active coordinator placed itself (none when the worker kept both and finished them)
    java.util.Optional<Instant> firstAssigned = List.of(rerun, second).stream()
        .map(b -> Instant.parse(b.get("startedAt").asText())).filter(t -> t.isAfter(killedAt)).min(Instant::compareTo);
    System.out.println("coordinator failover: kill -9 to 'now active' " + (activeAt.toEpochMilli()
        - killedAt.toEpochMilli()) + " ms (polled every 50 ms), to the first build assigned by the new active "
        + firstAssigned.map(t -> (t.toEpochMilli() - killedAt.toEpochMilli()) + " ms").orElse("(none: the worker"
        + " finished both builds it held and reported them to the new active)") + "; the running build ended after "
        + rerun.get("attempts").asInt() + " lost run(s), the one behind it (" + queued.get("state").asText()
        + " at the kill) after " + second.get("attempts").asInt());

    // the survivor's history holds all three builds, and every artifact downloads from it intact
    JsonNode history = farm.get(standbyApi, "/api/v1/builds?limit=10").get("builds");
    Set<String> ids = new HashSet<>();
    history.forEach(b -> ids.add(b.get("id").asText()));
    assertEquals(Set.of(firstId, runningId, queuedId), ids, history::toString);
    for (JsonNode build : history) {
      assertEquals("SUCCEEDED", build.get("state").asText(), build::toString);
      assertFalse(build.get("artifacts").isEmpty(), build::toString);
    }
    assertEveryArtifactDownloads(standbyApi, history);

    // a coordinator joining the survivor later copies the history and the objects stored before it came
    farm.start("coordinator-3", List.of("coordinator", "--bridge-port", "0", "--data-dir", dir.resolve("c3").toString(),
        "--repos", dir.resolve("repos").toString(), "--keys", dir.resolve("keys").toString(),
        "--http-port", String.valueOf(FreePorts.one()), "--cluster-name", clusterName,
        "--cluster-port", String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + secondClusterPort,
        "--store", store));
    String following = farm.awaitLine("coordinator-3", "is a standby", 90);
    assertTrue(following.contains("reading the shared store"), following);
    String caughtUp = farm.awaitLine("coordinator-3", "missing artifacts from the active coordinator", 30);
    String lateApi = farm.awaitLine("coordinator-3", "ready: HTTP ", 5).replaceAll(".*ready: HTTP (\\S+),.*", "$1");
    assertEveryArtifactDownloads(lateApi, history);
    assertEquals(history, farm.get(lateApi, "/api/v1/builds?limit=10").get("builds"), "its HTTP forwards to the active one");
    System.out.println(caughtUp);
  }

  /** Every artifact of every build downloads from the coordinator at {@code api} with its sha256 and size. */
  static void assertEveryArtifactDownloads(String api, JsonNode builds) throws Exception {
    for (JsonNode build : builds) {
      for (JsonNode artifact : build.get("artifacts")) {
        String sha = artifact.get("sha256").asText();
        HttpResponse<byte[]> download = FailoverFarm.HTTP.send(farm.request(api, "/api/v1/artifacts/" + sha).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode(), "artifact " + artifact + " of build " + build.get("id") + " on " + api);
        assertEquals(sha, Sha256.of(download.body()), "artifact " + artifact + " of build " + build.get("id"));
        assertEquals(artifact.get("size").asLong(), download.body().length);
      }
    }
  }
}
