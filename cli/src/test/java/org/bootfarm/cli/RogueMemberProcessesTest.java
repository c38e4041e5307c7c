package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Callers the farm does not know, against a real coordinator and worker in their own JVMs (issue 13):
 * <ul>
 *   <li>a member joins from this JVM with a farm coordinator certificate (a coordinator with a bug, or one an
 *       attacker took over: without a certificate nothing it sends arrives, ADR 0031, and only a coordinator's
 *       inbox messages are read at all) and sends the worker assignments whose
 *       names are paths ("an assignment whose repo ../../../../etc/cron.d the worker uses as a path and writes
 *       as root before any check"): each is refused before anything is written, logged, counted in {@code
 *       bootfarm_worker_inbox_refused_total};
 *   <li>a web page on the operator's machine: a cross-origin {@code text/plain} submission, and a request
 *       whose Host is the page's own name (DNS rebinding): both refused by the loopback-bound coordinator.
 * </ul>
 * After each the farm is as it was: no file outside the worker's work tree, no build recorded, the worker
 * still serves.
 */
@Tag("process")
class RogueMemberProcessesTest {
  @TempDir static Path dir;
  static FarmProcesses farm;
  static int metricsPort;

  @BeforeAll
  static void startFarm() throws Exception {
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    farm.startCoordinator("coordinator", dir.resolve("c"), repos, keys);
    metricsPort = FreePorts.one();
    farm.startWorker("worker", List.of("--worker-id", "w-target", "--metrics-port", String.valueOf(metricsPort)));
    farm.awaitLine("worker", " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() {
    farm.close();
  }

  @Test
  void assignmentsWhoseNamesArePathsAreRefusedBeforeTheWorkerWritesAnything() throws Exception {
    JsonNode buildsBefore = farm.get("/api/v1/builds");

    // a definition whose digest is right, and a component that is in the store: only the names are wrong
    Path definition = Files.createDirectories(dir.resolve("definition"));
    Files.writeString(definition.resolve("repo-spec.json"), "{}");
    Map<String, String> files = DefinitionFiles.read(definition);
    String digest = RepoDefinitionLoader.digest(definition);
    String component = farm.upload("a component\n");
    List<Assignment> forged = List.of(
        new Assignment("01ROGUE0000000000000000001", "../../../../../escaped-repo", "bootstrap",
            Map.of("tether", component), files, digest, farm.api, 0),
        new Assignment("../../../escaped-build", "fixture", "bootstrap", Map.of("tether", component), files,
            digest, farm.api, 0),
        new Assignment("01ROGUE0000000000000000003", "fixture", "bootstrap",
            Map.of("../../../../../escaped-component", component), files, digest, farm.api, 0),
        new Assignment("01ROGUE0000000000000000004", "fixture", "bootstrap", Map.of("tether", component),
            Map.of("../../../../../escaped-file", Base64.getEncoder().encodeToString(
                "x".getBytes(StandardCharsets.UTF_8))), digest, farm.api, 0));

    ClusterNode rogue = ClusterNode.start(ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + farm.clusterPort, dir.resolve("rogue")).withClusterName(farm.cluster)
        .withCredential(FarmCa.load(SharedFarmCa.of(dir)).issueOrLoad(new MemberIdentity("rogue-coordinator",
            NodeRole.COORDINATOR), dir.resolve("rogue-coordinator-member"))));
    try {
      for (Assignment assignment : forged) {
        rogue.vertx().eventBus().send(Addresses.workerInbox("w-target"), new JsonObject(WireJson.write(assignment)));
      }
      String counted = "bootfarm_worker_inbox_refused_total{reason=\"malformed_assignment\"} " + forged.size();
      Eventually.holds(Duration.ofSeconds(30), Eventually.EVERY, () -> scrape(metricsPort).contains(counted));
      assertTrue(scrape(metricsPort).contains(counted), "the worker counts each refusal:\n" + scrape(metricsPort));
    } finally {
      rogue.close();
    }

    String log = farm.logText("worker");
    assertEquals(forged.size(), log.split("refused an assignment, nothing of it was written", -1).length - 1, log);
    assertTrue(log.contains("repo: '../../../../../escaped-repo' is not a definition name"), log);
    assertTrue(log.contains("buildId: '../../../escaped-build' is not"), log);
    assertTrue(log.contains("components: '../../../../../escaped-component' is not a component name"), log);
    assertTrue(log.contains("definitionFiles: '../../../../../escaped-file' is not a relative path"), log);
    try (Stream<Path> all = Files.walk(dir)) {
      List<Path> escaped = all.filter(p -> p.getFileName().toString().startsWith("escaped-")).toList();
      assertEquals(List.of(), escaped, "nothing the forged names point at was written");
    }
    assertEquals(buildsBefore, farm.get("/api/v1/builds"), "no build was recorded or changed");
    assertEquals("w-target", farm.get("/api/v1/workers").get("workers").get(0).get("id").asText(),
        "the worker still serves");
  }

  @Test
  void aWebPageCanNeitherPostTextPlainNorReachTheApiUnderItsOwnName() throws Exception {
    JsonNode buildsBefore = farm.get("/api/v1/builds");
    String component = farm.upload("tether of a web page\n");
    String submission = "{\"repo\": \"anything\", \"components\": {\"tether\": \"" + component + "\"}}";
    HttpResponse<String> plain = FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create(farm.api + "/api/v1/builds")).header("Authorization", "Bearer " + farm.adminToken())
        .header("Content-Type", "text/plain;charset=UTF-8").POST(HttpRequest.BodyPublishers.ofString(submission))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(415, plain.statusCode(), plain.body());
    assertTrue(plain.body().contains("UNSUPPORTED_MEDIA_TYPE"), plain.body());

    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", farm.httpPort)) {
      socket.setSoTimeout(20_000);
      byte[] body = submission.getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(("POST /api/v1/builds HTTP/1.1\r\nHost: rebound.attacker.example:" + farm.httpPort
          + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 421"), answer);
      assertTrue(answer.contains("MISDIRECTED"), answer);
    }
    assertEquals(buildsBefore, farm.get("/api/v1/builds"), "no build was recorded");
  }

  private static String scrape(int port) throws Exception {
    return FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET()
        .build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
