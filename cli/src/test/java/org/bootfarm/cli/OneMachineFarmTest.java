package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.agent.WorkerAgent;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator daemon and a worker agent on one Vert.x instance: a build submitted over HTTP with
 * uploaded components is placed on the worker, built against the fixture yum repository, and its
 * outputs land in the artifact store under their sha256; a second build of the same repo goes to
 * the same worker and downloads no package: the worker serves it from its action cache (ADR 0048), and its
 * record names the first build as the one that made its outputs.
 */
@Tag("tool")
class OneMachineFarmTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static Vertx vertx;
  static CoordinatorDaemon coordinator;
  static WorkerAgent worker;
  static String api;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  /** The coordinator's local admin token. */
  static String token;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    vertx = Vertx.vertx();
    coordinator = CoordinatorDaemon.start(vertx, new CoordinatorSettings(dir.resolve("data"), repos, keys,
        "127.0.0.1", 0, Duration.ofMillis(200), LeasePolicy.DEFAULT, RetryPolicy.DEFAULT), null);
    Path tokens = coordinator.access().tokens().file();
    token = DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
    worker = WorkerAgent.start(vertx, "w1", "local", new WorkerAgent.Settings(dir.resolve("cache"), keys, 1, 500)
        .withStoreToken(DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.WORKERS_CLIENT).orElseThrow()));
    api = coordinator.artifactsUrl();
  }

  @AfterAll
  static void stop() throws Exception {
    worker.close();
    coordinator.close();
    vertx.close().await();
    repo.close();
  }

  static String upload(String content) throws Exception {
    byte[] bytes = content.getBytes();
    String sha = Sha256.of(bytes);
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/artifacts/" + sha)).header("Authorization", "Bearer " + token)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(response.statusCode() == 201 || response.statusCode() == 200, response::body);
    return sha;
  }

  static JsonNode buildAndWait(String tether, String unpack) throws Exception {
    String body = JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "target", "bootstrap",
        "components", Map.of("tether", tether, "unpack", unpack)));
    HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/builds")).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, submitted.statusCode(), submitted.body());
    String id = JSON.readTree(submitted.body()).get("id").asText();
    JsonNode build = Eventually.value(Duration.ofMinutes(2), Duration.ofMillis(200),
        () -> JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/builds/" + id)).header("Authorization", "Bearer " + token).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body()),
        b -> !java.util.List.of("QUEUED", "RUNNING").contains(b.get("state").asText()));
    return build;
  }

  @Test
  void submittedBuildRunsOnTheWorkerAndItsOutputsAreInTheStore() throws Exception {
    String tether = upload("#!/bin/sh\necho tether\n");
    String unpack = upload("#!/bin/sh\necho unpack\n");
    JsonNode first = buildAndWait(tether, unpack);
    assertEquals("SUCCEEDED", first.get("state").asText(), first::toString);
    assertEquals("w1", first.get("worker").asText());
    assertTrue(first.get("placement").asText().contains("w1"), first::toString);
    boolean iso = false;
    for (JsonNode artifact : first.get("artifacts")) {
      String sha = artifact.get("sha256").asText();
      byte[] stored = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/artifacts/" + sha)).header("Authorization", "Bearer " + token).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray()).body();
      assertEquals(sha, Sha256.of(stored), "the store serves " + artifact.get("name") + " under its hash");
      assertEquals(artifact.get("size").asLong(), stored.length);
      iso |= artifact.get("name").asText().equals("bootstrap-fixture-tdnf.iso");
    }
    assertTrue(iso, first::toString);

    repo.resetCounts();
    JsonNode second = buildAndWait(tether, unpack);
    assertEquals("SUCCEEDED", second.get("state").asText(), second::toString);
    assertEquals("w1", second.get("worker").asText());
    assertEquals(0, repo.rpmRequests(), "the second build of the repo downloads no package");
    assertEquals(FarmProcesses.outputs(first), FarmProcesses.outputs(second), "and gives the same outputs");
    assertFalse(first.path("packageCache").has("cachedFrom"), first::toString);
    assertEquals(first.get("id").asText(), second.at("/packageCache/cachedFrom").asText(), second::toString);
  }
}
