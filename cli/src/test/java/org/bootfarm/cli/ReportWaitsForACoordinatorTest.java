package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.Gate;
import org.bootfarm.worker.agent.WorkerAgent;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker keeps a build's report and sends it again until a coordinator answers. The coordinator
 * (real daemon, worker agent and dnf in one local Vert.x) is closed while a build runs, and only its
 * artifact store serves on its port: the outputs upload, the report finds no coordinator and waits.
 * A new coordinator on the same data dir then records the build SUCCEEDED from that worker, first run.
 */
@Tag("tool")
class ReportWaitsForACoordinatorTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  /** The coordinator\'s local admin token. */
  static String token;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void reportSentWhileNoCoordinatorListensIsRecordedByTheNextOne() throws Exception {
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path keys = Files.createDirectories(dir.resolve("keys"));
    Vertx vertx = Vertx.vertx();
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
      Gate gate = new Gate("report-waits");
      FixtureBuilds.gateInStaging(definition, gate); // the build runs until the first coordinator is gone
      CoordinatorDaemon first = CoordinatorDaemon.start(vertx, settings(repos, keys, 0), null);
      int port = first.httpPort();
      String api = "http://127.0.0.1:" + port;
      Path tokens = first.access().tokens().file();
      token = DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
      WorkerAgent worker = WorkerAgent.start(vertx, "w1", "local", new WorkerAgent.Settings(dir.resolve("cache"), keys,
          1, 500).withStoreToken(DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.WORKERS_CLIENT).orElseThrow()));
      try {
        Map<String, String> components = Map.of("tether", upload(api, "tether\n"), "unpack", upload(api, "unpack\n"));
        String id = submit(api, components);
        Path bundle = gate.awaitReached(dir, Duration.ofMinutes(2));
        JsonNode running = await(api, id, b -> !b.get("state").asText().equals("QUEUED"));
        assertEquals("RUNNING", running.get("state").asText(), running::toString);

        first.close();
        gate.open(bundle);
        ArtifactStore artifacts = ArtifactStore.openAt(dir.resolve("data").resolve("artifacts"),
            ArtifactStore.Options.defaults());
        ArtifactHttpEndpoint endpoint = new ArtifactHttpEndpoint(vertx, artifacts, Duration.ofMinutes(1));
        Router storeRoutes = Router.router(vertx);
        endpoint.mount(storeRoutes);
        storeRoutes.route().handler(context -> context.response().setStatusCode(503).end("no coordinator"));
        HttpServer storeOnly = vertx.createHttpServer().requestHandler(storeRoutes).listen(port, "127.0.0.1").await();
        Eventually.holds(Duration.ofMinutes(1), Duration.ofMillis(50), () -> worker.reportsWaiting().contains(id));
        assertEquals(List.of(id), worker.reportsWaiting(), "the report found no coordinator and waits");
        storeOnly.close().await();
        artifacts.close();

        CoordinatorDaemon second = CoordinatorDaemon.start(vertx, settings(repos, keys, port), null);
        try {
          JsonNode done = await(api, id, FarmProcesses::finished);
          assertEquals("SUCCEEDED", done.get("state").asText(), done::toString);
          assertEquals("w1", done.get("worker").asText(), done::toString);
          assertEquals(0, done.get("attempts").asInt(), "the build ran once: " + done);
          assertEquals(4, done.get("artifacts").size(), "ISO, buildinfo, manifest, signed provenance: " + done);
          for (JsonNode artifact : done.get("artifacts")) {
            byte[] bytes = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/artifacts/"
                + artifact.get("sha256").asText())).header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body();
            assertEquals(artifact.get("sha256").asText(), Sha256.of(bytes), artifact::toString);
          }
          Eventually.holds(Duration.ofSeconds(5), Duration.ofMillis(50), () -> worker.reportsWaiting().isEmpty());
          assertTrue(worker.reportsWaiting().isEmpty(), () -> "still waiting: " + worker.reportsWaiting());
        } finally {
          second.close();
        }
      } finally {
        worker.close();
        vertx.close().await();
      }
    }
  }

  private CoordinatorSettings settings(Path repos, Path keys, int port) {
    return new CoordinatorSettings(dir.resolve("data"), repos, keys, "127.0.0.1", port, Duration.ofMillis(200),
        LeasePolicy.DEFAULT, RetryPolicy.DEFAULT);
  }

  private static String upload(String api, String content) throws Exception {
    byte[] bytes = content.getBytes();
    String sha = Sha256.of(bytes);
    HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/artifacts/" + sha)).header("Authorization", "Bearer " + token)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    return sha;
  }

  private static String submit(String api, Map<String, String> components) throws Exception {
    String body = JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "components", components));
    HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/builds")).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, submitted.statusCode(), submitted.body());
    return JSON.readTree(submitted.body()).get("id").asText();
  }

  private static JsonNode await(String api, String id, java.util.function.Predicate<JsonNode> until) throws Exception {
    return Eventually.value(Duration.ofMinutes(1), Duration.ofMillis(50),
        () -> JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/builds/" + id)).header("Authorization", "Bearer " + token).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body()), until);
  }
}
