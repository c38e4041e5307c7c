package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.Gate;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reproducibility pair compares builds, not mirrors, on a farm of separate JVMs on 127.0.0.1 (a coordinator, two
 * tdnf workers, a fixture yum repository of its own): the fixture repository publishes a newer iptables while side
 * A of a nightly pair is caught at a gate in staging (it resolved its packages already) and before side B is
 * placed; side B rebuilds side A's record (its lock, from the farm's archive), so the verdict is REPRODUCIBLE; the
 * next night's report names the upgrade as drift (old → new) on the JSON API, the HTML page and the CLI.
 */
@Tag("process")
class PairDriftProcessesTest {
  static final String TOKEN = "drift-client-token-0123456789abcdef";
  static final String REPO = "fixture-drift";
  static final String UPDATED = "iptables";
  static final Gate GATE = new Gate("pair-drift");

  @TempDir static Path dir;
  static FixtureYumRepo mirror;
  static FarmProcesses farm;
  static String bridge;

  @BeforeAll
  static void startFarmWithTwoWorkers() throws Exception {
    mirror = FixtureYumRepo.startOwnCopy();
    farm = new FarmProcesses(dir);
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureBuilds.writeTdnfDefinitionAs(mirror, dir.resolve("scratch"), repos, REPO, "");
    FixtureBuilds.gateInStaging(repos.resolve(REPO), GATE);
    Files.createDirectories(dir.resolve("keys"));
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci " + TOKEN + " admin\n");
    int bridgePort = FreePorts.one();
    bridge = "127.0.0.1:" + bridgePort;
    farm.start("coordinator", List.of("coordinator", "--nightly", "off", "--bridge-port", String.valueOf(bridgePort),
        "--tokens", tokens.toString(), "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", dir.resolve("keys").toString(), "--http-port", String.valueOf(farm.httpPort), "--cluster-name",
        farm.cluster, "--cluster-port", String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    for (String worker : List.of("drift-a", "drift-b")) {
      farm.startWorker(worker, List.of("--worker-id", worker, "--package-managers", "tdnf"));
    }
    farm.awaitLine("drift-a", " ready: ", 90);
    farm.awaitLine("drift-b", " ready: ", 90);
    Eventually.value(Duration.ofSeconds(30), () -> farm.get("/api/v1/workers").get("workers").size(), n -> n >= 2);
    // nightly builds reuse the components of the latest successful build: one build first
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
    String first = farm.submit(REPO, components);
    GATE.pass(dir, Duration.ofMinutes(3));
    JsonNode build = farm.awaitBuild(first, FarmProcesses::finished);
    assertEquals("SUCCEEDED", build.get("state").asText(), build::toString);
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
    if (mirror != null) {
      mirror.close();
    }
  }

  static CliRun cli(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--farm", bridge, "--token", TOKEN));
    return CliRun.inProcess(all.toArray(String[]::new));
  }

  /** Starts a nightly run, lets side A resolve and wait at the gate, runs {@code meanwhile}, then lets both go. */
  static JsonNode nightlyRun(ThrowingRunnable meanwhile) throws Exception {
    CliRun started = cli("nightly", "--now", "--json"); // exits 1: the run is not (yet) all REPRODUCIBLE
    assertTrue(started.stdout.contains("\"id\""), started::toString);
    String id = FarmProcesses.JSON.readTree(started.stdout).get("id").asText();
    Path sideA = GATE.awaitReached(dir, Duration.ofMinutes(3));
    meanwhile.run();
    GATE.open(sideA);
    try (AutoCloseable open = GATE.keepOpening(dir)) { // side B, placed once side A succeeded
      return Eventually.value(Duration.ofMinutes(6), () -> farm.get("/api/v1/nightly/" + id),
          run -> run.hasNonNull("finishedAt"));
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void aMirrorUpdateBetweenTheSidesLeavesThePairReproducibleAndTheNextNightNamesItAsDrift() throws Exception {
    String before = mirror.packageFile(UPDATED).getFileName().toString();
    String[] published = new String[1];
    JsonNode tonight = nightlyRun(() -> published[0] = mirror.publishNewerRelease(UPDATED));
    JsonNode pair = tonight.get("pairs").get(0);
    assertEquals("REPRODUCIBLE", pair.get("outcome").asText(), pair::toString);
    assertNotEquals(pair.get("leftWorker").asText(), pair.get("rightWorker").asText(), pair::toString);
    JsonNode sideB = farm.get("/api/v1/builds/" + pair.get("right").asText());
    assertEquals(pair.get("left").asText(), sideB.get("rebuildOf").asText(), sideB::toString);
    assertTrue(pair.hasNonNull("rebuiltFrom"), pair::toString);
    assertTrue(mirror.packageFile(UPDATED).getFileName().toString().contains(published[0]),
        () -> "the mirror serves the newer " + UPDATED + " " + published[0] + ", not " + before);

    JsonNode nextNight = nightlyRun(() -> { });
    JsonNode next = nextNight.get("pairs").get(0);
    assertEquals("REPRODUCIBLE", next.get("outcome").asText(), next::toString);
    JsonNode drift = next.get("drift");
    assertEquals(pair.get("id").asText(), drift.get("previousPair").asText(), drift::toString);
    JsonNode upgraded = drift.get("upgraded");
    assertEquals(1, upgraded.size(), drift::toString);
    assertEquals(UPDATED, upgraded.get(0).get("name").asText());
    assertEquals("1.6.1-4.ph2", upgraded.get(0).get("from").asText(), drift::toString);
    assertEquals(published[0], upgraded.get(0).get("to").asText(), drift::toString);
    assertEquals("1.6.1-5.ph2", published[0]);

    CliRun shown = cli("nightly");
    assertTrue(shown.stdout.contains(REPO + " bootstrap: " + UPDATED + ".x86_64 1.6.1-4.ph2 \u2192 1.6.1-5.ph2"),
        shown::toString);
    String page = FarmProcesses.HTTP.send(farm.request("/nightly/" + nextNight.get("id").asText()).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(page.contains("upgraded " + UPDATED + ".x86_64 1.6.1-4.ph2 \u2192 1.6.1-5.ph2"), page);
  }
}
