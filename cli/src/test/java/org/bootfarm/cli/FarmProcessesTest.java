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
 * {@code bootfarm coordinator} and {@code bootfarm worker} as separate JVMs on 127.0.0.1, joined in
 * one Hazelcast cluster: a build submitted over HTTP runs on the worker process and succeeds, and
 * the worker is listed with the package managers it can run.
 */
class FarmProcessesTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static final List<Process> processes = new ArrayList<>();
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
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    int clusterPort = freePort();
    int httpPort = freePort();
    String cluster = "farm-test-" + clusterPort;
    start("coordinator", List.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", keys.toString(), "--http-port", String.valueOf(httpPort), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(clusterPort)));
    awaitLine("coordinator", "ready", 90);
    start("worker", List.of("worker", "--data-dir", dir.resolve("w").toString(), "--cache-dir",
        dir.resolve("w/cache").toString(), "--keys", keys.toString(), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(freePort()), "--join", "127.0.0.1:" + clusterPort));
    awaitLine("worker", "ready", 90);
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

  @Test
  void buildSubmittedToTheCoordinatorProcessRunsOnTheWorkerProcess() throws Exception {
    JsonNode workers = get("/api/v1/workers").get("workers");
    for (int i = 0; i < 100 && workers.size() == 0; i++) {
      Thread.sleep(100);
      workers = get("/api/v1/workers").get("workers");
    }
    assertEquals(1, workers.size(), workers::toString);
    assertTrue(workers.get(0).get("packageManagers").toString().contains("tdnf"), workers::toString);

    String body = JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "components",
        Map.of("tether", upload("tether\n"), "unpack", upload("unpack\n"))));
    HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/builds"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, submitted.statusCode(), submitted.body());
    String id = JSON.readTree(submitted.body()).get("id").asText();
    JsonNode build = get("/api/v1/builds/" + id);
    for (int i = 0; i < 1200 && List.of("QUEUED", "RUNNING").contains(build.get("state").asText()); i++) {
      Thread.sleep(100);
      build = get("/api/v1/builds/" + id);
    }
    assertEquals("SUCCEEDED", build.get("state").asText(), build.toString() + "\n"
        + Files.readString(dir.resolve("worker.log")));
    assertEquals(workers.get(0).get("id").asText(), build.get("worker").asText());
    assertEquals(3, build.get("artifacts").size(), build::toString);
  }
}
