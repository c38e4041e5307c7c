package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.ChildJvm;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.fixture.FixtureDefinitions;

/**
 * The processes of a failover test, whose coordinators come and go on ports the test chooses: {@code bootfarm}
 * commands started as JVMs with their output in {@code <dir>/<name>.log} (every coordinator given the farm's one
 * tokens file, every worker its workers token), and HTTP calls to whichever coordinator the test names, with the
 * admin token, a poll retrying while a coordinator takes over. {@link #close} kills what is left.
 */
final class FailoverFarm implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dir;
  private final Path tokens;
  private final Path workerToken;
  private final String adminToken;
  private final List<Process> processes = new ArrayList<>();

  FailoverFarm(Path dir) throws IOException {
    this.dir = dir;
    this.tokens = DefaultTokensFile.prepare(Files.createDirectories(dir.resolve("access")));
    this.adminToken = DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
    this.workerToken = Files.writeString(dir.resolve("access").resolve("worker-token"),
        DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.WORKERS_CLIENT).orElseThrow());
  }

  /** Starts {@code bootfarm ARGS}; a coordinator gets the farm's tokens file, a worker its workers token. */
  Process start(String name, List<String> args) throws IOException {
    return start(List.of(), name, args);
  }

  /** {@link #start(String, List)} behind {@code prefix}, say {@link org.bootfarm.cli.chaos.Network#inNamespace}. */
  Process start(List<String> prefix, String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(ChildJvm.command());
    command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
        "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    if (args.get(0).equals("coordinator")) {
      command.addAll(List.of("--tokens", tokens.toString()));
    } else if (args.get(0).equals("worker")) {
      command.addAll(List.of("--token-file", workerToken.toString()));
    }
    Process process = SharedFarmCa.giveTo(new ProcessBuilder(command), dir).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start();
    processes.add(process);
    return process;
  }

  /** The first line of {@code name}'s log containing {@code text}, waiting up to {@code seconds} for it. */
  String awaitLine(String name, String text, int seconds) throws Exception {
    Path log = dir.resolve(name + ".log");
    Optional<String> line = Eventually.value(Duration.ofSeconds(seconds), Duration.ofMillis(50),
        () -> Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).findFirst()
            : Optional.<String>empty(), Optional::isPresent);
    if (line.isPresent()) {
      return line.get();
    }
    throw new AssertionError(name + " never printed '" + text + "':\n" + Files.readString(log));
  }

  HttpResponse<String> send(String api, String method, String path, String body) throws Exception {
    return HTTP.send(request(api, path).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A request to {@code path} of the coordinator at {@code api}, with the admin token. */
  HttpRequest.Builder request(String api, String path) {
    return HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + adminToken);
  }

  JsonNode get(String api, String path) throws Exception {
    return JSON.readTree(send(api, "GET", path, null).body());
  }

  /** Stores {@code content} on the coordinator at {@code api}; returns its sha256. */
  String upload(String api, String content) throws Exception {
    byte[] bytes = content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String sha = Sha256.of(bytes);
    HttpResponse<String> response = HTTP.send(request(api, "/api/v1/artifacts/" + sha)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(response.statusCode() == 201 || response.statusCode() == 200, response::body);
    return sha;
  }

  /** Submits a bootstrap build of the fixture tdnf definition; returns its id. */
  String submit(String api, Map<String, String> components) throws Exception {
    HttpResponse<String> submitted = send(api, "POST", "/api/v1/builds",
        JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "components", components)));
    assertEquals(201, submitted.statusCode(), submitted.body());
    return JSON.readTree(submitted.body()).get("id").asText();
  }

  /** Polls the build on {@code api} until {@code until} holds; a refused poll (503 while taking over) is retried. */
  JsonNode awaitBuild(String api, String id, Predicate<JsonNode> until) throws Exception {
    AtomicReference<JsonNode> build = new AtomicReference<>();
    Eventually.holds(Duration.ofMinutes(3), Duration.ofMillis(50), () -> {
      HttpResponse<String> response = send(api, "GET", "/api/v1/builds/" + id, null);
      if (response.statusCode() == 200) {
        build.set(JSON.readTree(response.body()));
        return until.test(build.get());
      }
      return false;
    });
    return build.get();
  }

  static boolean finished(JsonNode build) {
    return !List.of("QUEUED", "RUNNING").contains(build.get("state").asText());
  }

  /** Kills every process it started and waits for them. */
  @Override
  public void close() throws InterruptedException {
    processes.forEach(Process::destroyForcibly);
    for (Process process : processes) {
      process.waitFor();
    }
  }
}
