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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.coordinator.placement.PlacementRequest;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.placement.WorkerView;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.Gate;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading a worker without losing builds: SIGTERM to a worker in the middle of a build lets that
 * build finish and report on the same worker in its first run, the worker advertises no slots
 * meanwhile so a build queued then goes to the other worker, and the drained worker exits 0. A second
 * SIGTERM ends the drain at once: the build goes back to the queue and runs again on the other worker.
 * In the first test neither worker is given --metrics-port: both start on this one machine, on two ports.
 *
 * <p>Both workers have two slots and the slow repo's home (by the real placement) is the one stopped:
 * without the drain the second build would go there too, as its load (1) is under its bound (2).
 */
@Tag("process")
class WorkerDrainProcessesTest {
  static final String SLOW = "fixture-slow";
  /** The slow repo's staging.sh waits here until the test lets its build go on. */
  static final Gate GATE = new Gate("worker-drain");

  @TempDir Path dir;

  @Test
  void stoppedWorkerFinishesItsBuildAndTheNextGoesElsewhere() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start(); FarmProcesses farm = new FarmProcesses(dir)) {
      Path repos = Files.createDirectories(dir.resolve("repos"));
      FixtureBuilds.gateInStaging(FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, SLOW, ""),
          GATE);
      Path keys = Files.createDirectories(dir.resolve("keys"));
      farm.startCoordinator("coordinator", dir.resolve("coordinator-data"), repos, keys);
      List<String> ids = List.of("drain-a", "drain-b");
      String home = new RendezvousPlacement().place(PlacementRequest.of(SLOW, "tdnf", "x86_64"), List.of(
          twoSlotWorker(ids.get(0)), twoSlotWorker(ids.get(1)))).workerId().orElseThrow();
      String other = home.equals(ids.get(0)) ? ids.get(1) : ids.get(0);
      // two workers on one machine, neither given --metrics-port: both start, on two ports (issue 17)
      Process stopped = farm.startWorkerOnDefaultMetricsPort(home, List.of("--worker-id", home, "--slots", "2"));
      farm.startWorkerOnDefaultMetricsPort(other, List.of("--worker-id", other, "--slots", "2"));
      farm.awaitLine(home, " ready: ", 90);
      farm.awaitLine(other, " ready: ", 90);
      String homeMetrics = metricsUrl(farm, home);
      String otherMetrics = metricsUrl(farm, other);
      System.out.printf("two workers without --metrics-port: %s and %s%n", homeMetrics, otherMetrics);
      assertNotEquals(homeMetrics, otherMetrics, "each worker on a metrics port of its own");
      assertTrue(MetricsProcessesTest.scrapeText(homeMetrics).contains("bootfarm_slots"), homeMetrics);
      assertTrue(MetricsProcessesTest.scrapeText(otherMetrics).contains("bootfarm_slots"), otherMetrics);
      awaitWorkerSlots(farm, Map.of(home, 2, other, 2));
      Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));

      String first = farm.submit(SLOW, components);
      GATE.awaitReached(dir, Duration.ofMinutes(2));
      JsonNode running = farm.awaitBuild(first, b -> "RUNNING".equals(b.get("state").asText())
          && b.hasNonNull("worker"));
      assertEquals(home, running.get("worker").asText(), running::toString);
      farm.awaitLine(home, "build " + first, 60);

      long stoppedAt = System.nanoTime();
      stopped.destroy(); // SIGTERM
      farm.awaitLine(home, "stopping: no new builds", 30);
      awaitWorkerSlots(farm, Map.of(home, 0, other, 2));
      String second = farm.submit(SLOW, components);
      AutoCloseable open = GATE.keepOpening(dir); // the drained build, and the second one on the other worker

      JsonNode firstDone = farm.awaitBuild(first, FarmProcesses::finished);
      assertEquals("SUCCEEDED", firstDone.get("state").asText(), firstDone::toString);
      assertEquals(home, firstDone.get("worker").asText(), firstDone::toString);
      assertEquals(0, firstDone.get("attempts").asInt(), firstDone::toString);
      assertTrue(stopped.waitFor(120, TimeUnit.SECONDS), "the drained worker did not exit");
      assertEquals(0, stopped.exitValue(), () -> "exit status of the drained worker; log:\n" + logOf(farm, home));
      assertTrue(farm.logText(home).contains("drained: every build finished and was reported"), logOf(farm, home));
      System.out.printf("drain: SIGTERM to exit %.1f s%n", (System.nanoTime() - stoppedAt) / 1e9);

      JsonNode secondDone = farm.awaitBuild(second, FarmProcesses::finished);
      assertEquals("SUCCEEDED", secondDone.get("state").asText(), secondDone::toString);
      assertEquals(other, secondDone.get("worker").asText(), secondDone::toString);
      assertEquals(0, secondDone.get("attempts").asInt(), secondDone::toString);
      open.close();
    }
  }

  @Test
  void secondSignalLeavesAtOnceAndTheBuildRunsAgainElsewhere() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start(); FarmProcesses farm = new FarmProcesses(dir)) {
      Path repos = Files.createDirectories(dir.resolve("repos"));
      FixtureBuilds.gateInStaging(FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, SLOW, ""),
          GATE);
      Path keys = Files.createDirectories(dir.resolve("keys"));
      farm.startCoordinator("coordinator", dir.resolve("coordinator-data"), repos, keys);
      List<String> ids = List.of("drain-a", "drain-b");
      String home = new RendezvousPlacement().place(PlacementRequest.of(SLOW, "tdnf", "x86_64"), List.of(
          twoSlotWorker(ids.get(0)), twoSlotWorker(ids.get(1)))).workerId().orElseThrow();
      String other = home.equals(ids.get(0)) ? ids.get(1) : ids.get(0);
      Process stopped = farm.startWorker(home, List.of("--worker-id", home, "--slots", "2"));
      farm.startWorker(other, List.of("--worker-id", other, "--slots", "2"));
      farm.awaitLine(home, " ready: ", 90);
      farm.awaitLine(other, " ready: ", 90);
      awaitWorkerSlots(farm, Map.of(home, 2, other, 2));
      Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));

      String build = farm.submit(SLOW, components);
      GATE.awaitReached(dir, Duration.ofMinutes(2));
      JsonNode running = farm.awaitBuild(build, b -> "RUNNING".equals(b.get("state").asText())
          && b.hasNonNull("worker"));
      assertEquals(home, running.get("worker").asText(), running::toString);
      farm.awaitLine(home, "build " + build, 60);

      stopped.destroy(); // SIGTERM: drain
      farm.awaitLine(home, "stopping: no new builds", 30);
      long secondAt = System.nanoTime();
      stopped.destroy(); // SIGTERM again: leave now
      assertTrue(stopped.waitFor(30, TimeUnit.SECONDS), "a second SIGTERM did not end the drain");
      System.out.printf("drain: second SIGTERM to exit %.1f s%n", (System.nanoTime() - secondAt) / 1e9);
      assertEquals(143, stopped.exitValue(), () -> "a worker that left builds behind exits as killed by SIGTERM;"
          + " log:\n" + logOf(farm, home));
      String log = farm.logText(home);
      assertTrue(log.contains("SIGTERM again: leaving the cluster now") && log.contains("unfinished"), log);

      AutoCloseable open = GATE.keepOpening(dir); // the build's run on the other worker
      JsonNode done = farm.awaitBuild(build, FarmProcesses::finished);
      assertEquals("SUCCEEDED", done.get("state").asText(), done::toString);
      assertEquals(other, done.get("worker").asText(), done::toString);
      assertEquals(1, done.get("attempts").asInt(), done::toString);
      open.close();
    }
  }

  /** The /metrics URL the worker's ready line names. */
  static String metricsUrl(FarmProcesses farm, String name) throws Exception {
    Matcher url = Pattern.compile("metrics (http://[0-9.]+:\\d+/metrics)").matcher(farm.logText(name));
    assertTrue(url.find(), () -> name + " names no metrics URL in its ready line:\n" + logOf(farm, name));
    return url.group(1);
  }

  static WorkerView twoSlotWorker(String id) {
    return new WorkerView(id, Set.of("tdnf"), "x86_64", 2, 0, 0, 1L << 40, Map.of(), true);
  }

  /** Waits until the coordinator lists exactly these workers with these advertised slots. */
  static void awaitWorkerSlots(FarmProcesses farm, Map<String, Integer> slots) throws Exception {
    Map<String, Integer> listed = Eventually.value(Duration.ofSeconds(30), () -> {
      java.util.TreeMap<String, Integer> now = new java.util.TreeMap<>();
      for (JsonNode worker : farm.get("/api/v1/workers").get("workers")) {
        now.put(worker.get("id").asText(), worker.get("slots").asInt());
      }
      return now;
    }, now -> now.equals(new java.util.TreeMap<>(slots)));
    if (listed.equals(new java.util.TreeMap<>(slots))) {
      return;
    }
    throw new AssertionError("workers listed with slots " + listed + ", expected " + slots);
  }

  private static String logOf(FarmProcesses farm, String name) {
    try {
      return farm.logText(name);
    } catch (java.io.IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }
}
