package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bootfarm coordinator} and two {@code bootfarm worker}s as separate JVMs on 127.0.0.1, joined
 * in one Hazelcast cluster: a build submitted over HTTP runs on a worker process and succeeds; then a
 * worker killed with kill -9 in the middle of a build loses it to the other worker, where it completes
 * with the same output hashes. The fixture definition's base.sh sleeps a few seconds so that a build
 * is reliably caught running.
 */
class FarmProcessesTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static final List<Process> processes = new ArrayList<>();
  static final Map<String, Process> workersById = new java.util.HashMap<>();
  static String api;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static Process start(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start();
    processes.add(process);
    return process;
  }

  static void awaitLine(String name, String text, int seconds) throws Exception {
    Path log = dir.resolve(name + ".log");
    for (int i = 0; i < seconds * 10; i++) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + " never printed '" + text + "':\n" + Files.readString(log));
  }

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Files.writeString(definition.resolve("base.sh"), "\nsleep 4\n", java.nio.file.StandardOpenOption.APPEND);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    int clusterPort = freePort();
    int httpPort = freePort();
    String cluster = "farm-test-" + clusterPort;
    start("coordinator", List.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", keys.toString(), "--http-port", String.valueOf(httpPort), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(clusterPort)));
    awaitLine("coordinator", "ready", 90);
    for (String name : List.of("worker-a", "worker-b")) {
      Process process = start(name, List.of("worker", "--data-dir", dir.resolve(name).toString(), "--cache-dir",
          dir.resolve(name + "/cache").toString(), "--keys", keys.toString(), "--cluster-name", cluster,
          "--cluster-port", String.valueOf(freePort()), "--join", "127.0.0.1:" + clusterPort));
      awaitLine(name, "ready", 90);
      String ready = Files.readString(dir.resolve(name + ".log")).lines()
          .filter(l -> l.startsWith("bootfarm worker ")).findFirst().orElseThrow();
      workersById.put(ready.split(" ")[2], process);
    }
    api = "http://127.0.0.1:" + httpPort;
  }

  @AfterAll
  static void stopFarm() {
    processes.forEach(Process::destroyForcibly);
    repo.close();
  }

  static String upload(String content) throws Exception {
    byte[] bytes = content.getBytes();
    String sha = Sha256.of(bytes);
    HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/artifacts/" + sha))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    return sha;
  }

  static JsonNode get(String path) throws Exception {
    return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(api + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  static JsonNode submitAndAwait(Map<String, String> components, java.util.function.Predicate<JsonNode> until)
      throws Exception {
    String body = JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "components", components));
    HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/builds"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, submitted.statusCode(), submitted.body());
    return awaitBuild(JSON.readTree(submitted.body()).get("id").asText(), until);
  }

  static JsonNode awaitBuild(String id, java.util.function.Predicate<JsonNode> until) throws Exception {
    JsonNode build = get("/api/v1/builds/" + id);
    for (int i = 0; i < 2400 && !until.test(build); i++) {
      Thread.sleep(50);
      build = get("/api/v1/builds/" + id);
    }
    return build;
  }

  static boolean finished(JsonNode build) {
    return !List.of("QUEUED", "RUNNING").contains(build.get("state").asText());
  }

  @Test
  void buildsRunOnWorkerProcessesAndAKilledWorkersBuildCompletesOnTheOther() throws Exception {
    JsonNode workers = get("/api/v1/workers").get("workers");
    for (int i = 0; i < 100 && workers.size() < 2; i++) {
      Thread.sleep(100);
      workers = get("/api/v1/workers").get("workers");
    }
    assertEquals(2, workers.size(), workers::toString);
    assertTrue(workers.get(0).get("packageManagers").toString().contains("tdnf"), workers::toString);
    Map<String, String> components = Map.of("tether", upload("tether\n"), "unpack", upload("unpack\n"));

    JsonNode first = submitAndAwait(components, FarmProcessesTest::finished);
    assertEquals("SUCCEEDED", first.get("state").asText(), first::toString);
    assertTrue(workersById.containsKey(first.get("worker").asText()), first::toString);
    assertEquals(3, first.get("artifacts").size(), first::toString);

    JsonNode running = submitAndAwait(components,
        build -> build.get("state").asText().equals("RUNNING") || finished(build));
    assertEquals("RUNNING", running.get("state").asText(), running::toString);
    String victim = running.get("worker").asText();
    workersById.get(victim).destroyForcibly().waitFor();

    JsonNode rerun = awaitBuild(running.get("id").asText(), FarmProcessesTest::finished);
    assertEquals("SUCCEEDED", rerun.get("state").asText(), rerun::toString);
    assertTrue(!rerun.get("worker").asText().equals(victim), "it ran again on the other worker: " + rerun);
    assertEquals(1, rerun.get("attempts").asInt(), rerun::toString);
    assertEquals(first.get("artifacts"), rerun.get("artifacts"), "the other worker built the same bytes");
  }
}
