package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancelling a build while it runs stops the run on its worker, with real processes: a coordinator and a
 * one-slot worker in JVMs of their own, a fixture definition whose staging.sh sleeps 120 s. Cancelled over
 * HTTP while that sleep runs, the worker stops it within seconds (no process of the hook is left, the build
 * directory is gone), the build stays CANCELLED after the worker's report, and the worker's one slot takes
 * the next build at once.
 */
@Tag("process")
class CancelRunningBuildProcessesTest {
  static final String STUCK = "fixture-stuck";
  static final String NEXT = "fixture-next";
  static final String WORKER = "w-cancel";
  /** The sleep's argument: unique on this machine, so its processes are told apart from every other sleep. */
  static final String SLEEP = "120.4242";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path stuck = FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, STUCK, "");
    Path staging = Files.writeString(stuck.resolve("staging.sh"), "#!/bin/sh\necho staging starts its sleep\n"
        + "sleep " + SLEEP + "\n");
    Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
    FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, NEXT, "");
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    farm.startCoordinator("coordinator", dir.resolve("coordinator-data"), repos, keys);
    farm.startWorker(WORKER, List.of("--worker-id", WORKER, "--slots", "1"));
    farm.awaitLine(WORKER, " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() throws Exception {
    if (farm != null) {
      farm.close();
    }
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  void cancelStopsTheRunAndFreesTheSlot() throws Exception {
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
    String id = farm.submit(STUCK, components);
    farm.awaitBuild(id, b -> !"QUEUED".equals(b.get("state").asText()));
    Eventually.holds(Duration.ofMinutes(3), Eventually.EVERY, () -> {
      assertEquals("RUNNING", farm.get("/api/v1/builds/" + id).get("state").asText(), () -> "build " + id
          + " ended before its staging.sh slept:\n" + logs());
      return !sleeps().isEmpty();
    });
    assertTrue(!sleeps().isEmpty(), () -> "staging.sh never started its sleep:\n" + logs());
    Path builds = dir.resolve(WORKER + "/cache/builds");
    assertTrue(entries(builds) > 0, "the running build has its build directory under " + builds);

    long cancelledAt = System.nanoTime();
    HttpResponse<String> cancel = FarmProcesses.HTTP.send(HttpRequest.newBuilder(
        URI.create(farm.api + "/api/v1/builds/" + id + "/cancel")).header("Authorization", "Bearer " + farm.adminToken()).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, cancel.statusCode(), cancel.body());
    assertEquals("CANCELLED", FarmProcesses.JSON.readTree(cancel.body()).get("state").asText(), cancel.body());

    farm.awaitLine("coordinator", "build " + id + ": cancelled while running on worker " + WORKER
        + "; told it to stop", 10);
    farm.awaitLine(WORKER, "build " + id + " run 1: cancelled by the coordinator, stopped after", 20);
    assertEquals(List.of(), sleeps(), "no process of the cancelled build's staging.sh is left");
    farm.awaitLine(WORKER, "report of build " + id + " run 1 refused", 20);
    double seconds = (System.nanoTime() - cancelledAt) / 1e9;
    farm.logText(WORKER).lines().filter(l -> l.contains(id)).forEach(System.out::println); // the stop, measured
    assertTrue(seconds < 60, "stopped and reported " + seconds + " s after the cancel, well before the sleep's end");
    assertEquals(0, entries(builds), "the cancelled build's directory is removed from " + builds);
    assertEquals(0, entries(dir.resolve(WORKER + "/cache/assignments")), "its work directory is removed");
    try (Stream<Path> stages = Files.exists(dir.resolve(WORKER + "/cache/stages"))
        ? Files.walk(dir.resolve(WORKER + "/cache/stages")) : Stream.empty()) {
      assertEquals(List.of(), stages.filter(p -> p.getFileName().toString().startsWith(".")).toList(),
          "no half-written stage cache entry is left");
    }
    HttpResponse<String> again = FarmProcesses.HTTP.send(HttpRequest.newBuilder(
        URI.create(farm.api + "/api/v1/builds/" + id + "/cancel")).header("Authorization", "Bearer " + farm.adminToken()).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(409, again.statusCode(), "a cancelled build cannot be cancelled again: " + again.body());
    JsonNode cancelled = farm.get("/api/v1/builds/" + id);
    assertEquals("CANCELLED", cancelled.get("state").asText(), "the worker's late report changes nothing: "
        + cancelled);

    // the worker's only slot is free: the next build runs there now, not when the sleep would have ended
    String next = farm.submit(NEXT, components);
    JsonNode running = farm.awaitBuild(next, b -> !"QUEUED".equals(b.get("state").asText()));
    assertEquals(WORKER, running.get("worker").asText(), running::toString);
    JsonNode done = farm.awaitBuild(next, FarmProcesses::finished);
    assertEquals("SUCCEEDED", done.get("state").asText(), () -> done + "\n" + logs());
  }

  /** Live processes running {@code sleep SLEEP}, from /proc. */
  static List<String> sleeps() throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
        try {
          String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          return cmdline.equals("sleep\0" + SLEEP + "\0") && !Files.readString(p.resolve("status")).contains("State:\tZ");
        } catch (IOException gone) {
          return false;
        }
      }).map(p -> p.getFileName().toString()).toList();
    }
  }

  static long entries(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    try (Stream<Path> list = Files.list(directory)) {
      return list.count();
    }
  }

  static String logs() {
    try {
      return "--- coordinator\n" + farm.logText("coordinator") + "\n--- " + WORKER + "\n" + farm.logText(WORKER);
    } catch (IOException e) {
      return "(the logs could not be read: " + e + ")";
    }
  }
}
