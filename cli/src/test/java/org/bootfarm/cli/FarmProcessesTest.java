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
 * with the same output hashes. The fixture definition's base.sh sleeps a few seconds so that a build
 * is reliably caught running.
 */
@Tag("process")
class FarmProcessesTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static final Map<String, Process> workersById = new java.util.HashMap<>();

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Files.writeString(definition.resolve("base.sh"), "\nsleep 4\n", java.nio.file.StandardOpenOption.APPEND);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    farm.startCoordinator("coordinator", dir.resolve("c"), repos, keys);
    for (String name : List.of("worker-a", "worker-b")) {
      Process process = farm.startWorker(name, List.of());
      farm.awaitLine(name, "ready", 90);
      String ready = farm.logText(name).lines().filter(l -> l.startsWith("bootfarm worker ")).findFirst().orElseThrow();
      workersById.put(ready.split(" ")[2], process);
    }
  }

  @AfterAll
  static void stopFarm() {
    farm.close();
    repo.close();
  }

  static JsonNode submitAndAwait(Map<String, String> components, java.util.function.Predicate<JsonNode> until)
      throws Exception {
    return farm.awaitBuild(farm.submit(FixtureDefinitions.TDNF, components), until);
  }

  @Test
  void buildsRunOnWorkerProcessesAndAKilledWorkersBuildCompletesOnTheOther() throws Exception {
    JsonNode workers = Eventually.value(Duration.ofSeconds(10), () -> farm.get("/api/v1/workers").get("workers"),
        listed -> listed.size() >= 2);
    assertEquals(2, workers.size(), workers::toString);
    assertTrue(workers.get(0).get("packageManagers").toString().contains("tdnf"), workers::toString);
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));

    JsonNode first = submitAndAwait(components, FarmProcesses::finished);
    assertEquals("SUCCEEDED", first.get("state").asText(), first::toString);
    assertTrue(workersById.containsKey(first.get("worker").asText()), first::toString);
    assertEquals(3, first.get("artifacts").size(), first::toString);

    JsonNode running = submitAndAwait(components,
        build -> build.get("state").asText().equals("RUNNING") || FarmProcesses.finished(build));
    assertEquals("RUNNING", running.get("state").asText(), running::toString);
    String victim = running.get("worker").asText();
    workersById.get(victim).destroyForcibly().waitFor();

    JsonNode rerun = farm.awaitBuild(running.get("id").asText(), FarmProcesses::finished);
    assertEquals("SUCCEEDED", rerun.get("state").asText(), rerun::toString);
    assertTrue(!rerun.get("worker").asText().equals(victim), "it ran again on the other worker: " + rerun);
    assertEquals(1, rerun.get("attempts").asInt(), rerun::toString);
    assertEquals(first.get("artifacts"), rerun.get("artifacts"), "the other worker built the same bytes");
  }
}
