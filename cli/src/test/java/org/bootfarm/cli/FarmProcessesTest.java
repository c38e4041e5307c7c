package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.Gate;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bootfarm coordinator} and two {@code bootfarm worker}s as separate JVMs on 127.0.0.1, joined
 * in one Hazelcast cluster: a build submitted over HTTP runs on a worker process and succeeds; then a
 * worker killed with kill -9 in the middle of a build loses it to the other worker, where it completes
 * with the same output hashes. The fixture definition's staging.sh waits at a {@link Gate} so that a
 * build is reliably caught running.
 */
@Tag("process")
class FarmProcessesTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  /** Every build waits in staging.sh until the test lets it go on. */
  static final Gate GATE = new Gate("farm-processes");
  static final Map<String, Process> workersById = new java.util.HashMap<>();

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    FixtureBuilds.gateInStaging(definition, GATE);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    farm.startCoordinator("coordinator", dir.resolve("c"), repos, keys);
    for (String name : List.of("worker-a", "worker-b")) {
      Process process = farm.startWorker(name, List.of());
      farm.awaitLine(name, " ready: ", 90);
      String ready = farm.logText(name).lines().filter(l -> l.startsWith("bootfarm worker ")).findFirst().orElseThrow();
      workersById.put(ready.split(" ")[2], process);
    }
  }

  @AfterAll
  static void stopFarm() {
    farm.close();
    repo.close();
  }

  @Test
  void buildsRunOnWorkerProcessesAndAKilledWorkersBuildCompletesOnTheOther() throws Exception {
    JsonNode workers = Eventually.value(Duration.ofSeconds(10), () -> farm.get("/api/v1/workers").get("workers"),
        listed -> listed.size() >= 2);
    assertEquals(2, workers.size(), workers::toString);
    assertTrue(workers.get(0).get("packageManagers").toString().contains("tdnf"), workers::toString);
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));

    String firstId = farm.submit(FixtureDefinitions.TDNF, components);
    GATE.pass(dir, Duration.ofMinutes(2));
    JsonNode first = farm.awaitBuild(firstId, FarmProcesses::finished);
    assertEquals("SUCCEEDED", first.get("state").asText(), first::toString);
    assertTrue(workersById.containsKey(first.get("worker").asText()), first::toString);
    assertEquals(4, first.get("artifacts").size(), "ISO, buildinfo, manifest, signed provenance: " + first);

    String runningId = farm.submit(FixtureDefinitions.TDNF, components);
    GATE.awaitReached(dir, Duration.ofMinutes(2));
    JsonNode running = farm.awaitBuild(runningId,
        build -> build.get("state").asText().equals("RUNNING") || FarmProcesses.finished(build));
    assertEquals("RUNNING", running.get("state").asText(), running::toString);
    String victim = running.get("worker").asText();
    workersById.get(victim).destroyForcibly().waitFor();

    JsonNode rerun;
    try (AutoCloseable open = GATE.keepOpening(dir)) {
      rerun = farm.awaitBuild(running.get("id").asText(), FarmProcesses::finished);
    }
    assertEquals("SUCCEEDED", rerun.get("state").asText(), rerun::toString);
    assertTrue(!rerun.get("worker").asText().equals(victim), "it ran again on the other worker: " + rerun);
    assertEquals(1, rerun.get("attempts").asInt(), rerun::toString);
    assertEquals(FarmProcesses.outputs(first), FarmProcesses.outputs(rerun), "the other worker built the same bytes");
  }
}
