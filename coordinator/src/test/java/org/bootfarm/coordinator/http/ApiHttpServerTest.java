package org.bootfarm.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.coordinator.access.LiveTokens;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.cas.UnreadBodyClose;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API over a real Vert.x server, the SQLite store, the artifact store and the project's
 * repos/, driven by the JDK's HTTP client: good requests are answered, bad ones refused at once
 * with an error body, and nothing is queued by a refused one.
 */
@Tag("unit")
class ApiHttpServerTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static SqlBuildStore store;
  static ArtifactStore artifacts;
  static String base;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ADMIN = "admin-0123456789abcdef";

  @BeforeAll
  static void start() throws Exception {
    Path root = ProjectTree.root();
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    BuildCoordinator coordinator = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(root.resolve("repos"), ProjectTree.sharedKeys()),
        new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    Path tokens = java.nio.file.Files.writeString(dir.resolve("tokens"), "ops " + ADMIN + " admin\n");
    int port = new ApiHttpServer(vertx, coordinator, new ArtifactHttpEndpoint(vertx, artifacts, Duration.ofSeconds(30)))
        .withAccess(LiveTokens.watch(vertx, tokens), ApiRefusals.uncounted(), false)
        .listen("127.0.0.1", 0).await().actualPort();
    base = "http://127.0.0.1:" + port;
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  /** A request to {@code path} with the admin's token. */
  static HttpRequest.Builder authorized(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ADMIN);
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = authorized(path);
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  /** Every build the store holds, newest first: what a refused request must leave as it was. */
  static List<String> allBuilds() {
    return store.list(BuildFilter.newest(100_000)).stream().map(BuildRecord::id).toList();
  }

  /** Posts a submission that must be refused with {@code status}, and checks nothing was queued. */
  static HttpResponse<String> refusedAndNothingQueued(int status, String body) throws Exception {
    List<String> before = allBuilds();
    HttpResponse<String> response = send("POST", "/api/v1/builds", body);
    assertEquals(status, response.statusCode(), response.body());
    assertEquals(before, allBuilds(), "a refused submission queued a build");
    return response;
  }

  /** A submission good in every way, with its component in the store. */
  static String goodSubmission() throws Exception {
    byte[] tether = "#!/bin/sh\necho the tether of the origin tests\n".getBytes(StandardCharsets.UTF_8);
    String sha = Sha256.of(tether);
    HTTP.send(authorized(("/api/v1/artifacts/" + sha))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(tether)).build(), HttpResponse.BodyHandlers.ofString());
    return "{\"repo\": \"debian-12\", \"target\": \"bootstrap\", \"components\": {\"tether\": \"" + sha + "\", \"unpack\": \"" + sha + "\"}}";
  }

  /** Sends {@code head} (request line and headers) and {@code body} on a raw socket; returns the status line and body. */
  static List<String> raw(String head, String body) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", URI.create(base).getPort())) {
      socket.setSoTimeout(20_000);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write((head + "Authorization: Bearer " + ADMIN + "\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(bytes);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return List.of(answer.substring(0, answer.indexOf("\r\n")), answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }
  }

  /** What a web page can send to a loopback coordinator without a CORS preflight: a text/plain POST. */
  @Test
  void aCrossOriginTextPlainSubmissionIsRefusedAndNothingQueued() throws Exception {
    String submission = goodSubmission();
    List<String> before = allBuilds();
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
      HttpResponse<String> response = HTTP.send(authorized(("/api/v1/builds"))
          .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(submission)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(415, response.statusCode(), response.body());
      assertEquals("UNSUPPORTED_MEDIA_TYPE", json(response).get("code").asText());
      assertTrue(json(response).get("message").asText().contains("Content-Type: application/json"), response.body());
    }
    List<String> noType = raw("POST /api/v1/builds HTTP/1.1\r\nHost: 127.0.0.1\r\n", submission);
    assertEquals("HTTP/1.1 415 Unsupported Media Type", noType.get(0), noType.get(1));
    assertEquals(before, allBuilds(), "a refused submission queued a build");
    HttpResponse<String> json = HTTP.send(authorized(("/api/v1/builds"))
        .header("Content-Type", "application/json; charset=utf-8").POST(HttpRequest.BodyPublishers.ofString(submission))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, json.statusCode(), "the same submission as JSON is taken: " + json.body());
  }

  /** DNS rebinding: a page's own name resolving to 127.0.0.1 reaches the loopback server with a foreign Host. */
  @Test
  void aForeignHostHeaderIsRefusedByALoopbackServerAndNothingQueued() throws Exception {
    String submission = goodSubmission();
    List<String> before = allBuilds();
    for (String host : List.of("attacker.example", "attacker.example:" + URI.create(base).getPort(), "10.0.0.1",
        "127.0.0.1.attacker.example", "localhost.attacker.example:80", "")) {
      List<String> post = raw("POST /api/v1/builds HTTP/1.1\r\nHost: " + host
          + "\r\nContent-Type: application/json\r\n", submission);
      assertTrue(post.get(0).startsWith(host.isEmpty() ? "HTTP/1.1 4" : "HTTP/1.1 421"), host + ": " + post);
      List<String> get = raw("GET /api/v1/workers HTTP/1.1\r\nHost: " + host + "\r\n", "");
      assertTrue(get.get(0).startsWith(host.isEmpty() ? "HTTP/1.1 4" : "HTTP/1.1 421"), host + ": " + get);
      if (!host.isEmpty()) {
        assertTrue(get.get(1).contains("MISDIRECTED") && get.get(1).contains("--http-host"), get.get(1));
      }
    }
    assertEquals(before, allBuilds(), "a refused submission queued a build");
    for (String host : List.of("localhost", "localhost:" + URI.create(base).getPort(), "127.0.0.1", "[::1]:8080")) {
      List<String> get = raw("GET /api/v1/workers HTTP/1.1\r\nHost: " + host + "\r\n", "");
      assertEquals("HTTP/1.1 200 OK", get.get(0), host + ": " + get.get(1));
    }
  }

  @Test
  void uploadedComponentCanBeNamedInASubmissionWhichIsThenQueued() throws Exception {
    byte[] tether = "#!/bin/sh\necho tether\n".getBytes(StandardCharsets.UTF_8);
    String sha = Sha256.of(tether);
    HttpResponse<String> put = HTTP.send(authorized(("/api/v1/artifacts/" + sha))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(tether)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, put.statusCode(), put.body());
    HttpResponse<String> submitted = send("POST", "/api/v1/builds",
        "{\"repo\": \"debian-12\", \"target\": \"bootstrap\", \"components\": {\"tether\": \"" + sha + "\", \"unpack\": \"" + sha + "\"}}");
    assertEquals(201, submitted.statusCode(), submitted.body());
    String id = json(submitted).get("id").asText();
    HttpResponse<String> got = send("GET", "/api/v1/builds/" + id, null);
    assertEquals(200, got.statusCode());
    assertEquals("QUEUED", json(got).get("state").asText());
    assertEquals(sha, json(got).get("components").get("tether").asText());
    JsonNode listed = json(send("GET", "/api/v1/builds?repo=debian-12&state=QUEUED", null));
    assertTrue(listed.get("builds").findValuesAsText("id").contains(id), listed::toString);
  }

  @Test
  void malformedJsonIsRefusedNamingWhereAndNothingQueued() throws Exception {
    HttpResponse<String> response = refusedAndNothingQueued(400, "{\"repo\": ");
    assertEquals("BAD_REQUEST", json(response).get("code").asText());
    assertTrue(json(response).get("message").asText().startsWith("malformed JSON"), response.body());
    HttpResponse<String> notAnObject = refusedAndNothingQueued(400, "[\"debian-12\"]");
    assertTrue(json(notAnObject).get("message").asText().contains("expected a JSON object"), notAnObject.body());
    refusedAndNothingQueued(400, "");
  }

  @Test
  void unknownRepoIsRefusedAndNothingQueued() throws Exception {
    HttpResponse<String> response = refusedAndNothingQueued(400, "{\"repo\": \"nosuch-1\"}");
    assertTrue(json(response).get("problems").get(0).asText().startsWith("repo: 'nosuch-1'"), response.body());
  }

  @Test
  void componentHashNotInTheStoreIsRefusedAndNothingQueued() throws Exception {
    String missing = "c".repeat(64);
    HttpResponse<String> response = refusedAndNothingQueued(400,
        "{\"repo\": \"debian-12\", \"components\": {\"unpack\": \"" + missing + "\"}}");
    assertTrue(response.body().contains("components.unpack: " + missing), response.body());
  }

  @Test
  void unknownTargetIsRefusedAndNothingQueued() throws Exception {
    HttpResponse<String> response = refusedAndNothingQueued(400, "{\"repo\": \"debian-12\", \"target\": \"kernel\"}");
    assertTrue(response.body().contains("target: 'kernel'"), response.body());
    HttpResponse<String> notThisRepo = refusedAndNothingQueued(400,
        "{\"repo\": \"debian-12\", \"target\": \"appliance\"}");
    assertTrue(notThisRepo.body().contains("target: this farm builds the appliance only from its appliance repo 'photon-2.0', not from 'debian-12'"), notThisRepo.body());
  }

  @Test
  void oversizedBodyIsRefusedWith413AndNothingQueued() throws Exception {
    String huge = "{\"repo\": \"debian-12\", \"options\": {\"x\": \"" + "y".repeat(ApiHttpServer.MAX_BODY_BYTES) + "\"}}";
    HttpResponse<String> response = refusedAndNothingQueued(413, huge);
    assertEquals("TOO_LARGE", json(response).get("code").asText());
  }

  @Test
  void oversizedChunkedBodyIsRefusedWith413WithoutReadingItAll() throws Exception {
    List<String> before = allBuilds();
    EndlessChunkedBody.Outcome outcome = EndlessChunkedBody.send(URI.create(base).getPort(),
        "POST /api/v1/builds HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Authorization: Bearer " + ADMIN + "\r\n");
    assertEquals("HTTP/1.1 413 Request Entity Too Large", outcome.statusLine());
    assertTrue(outcome.sent() < EndlessChunkedBody.OFFERED, "the server read the whole body instead of closing");
    assertTrue(outcome.sent() < ApiHttpServer.MAX_BODY_BYTES + UnreadBodyClose.DRAIN_BYTES + (32 << 20),
        "the server went on reading after its refusal: " + outcome.sent() + " bytes sent (socket buffers hold a few"
            + " MiB)");
    assertEquals(before, allBuilds());
  }

  @Test
  void unknownBuildIs404AndBadFilterIs400() throws Exception {
    assertEquals(404, send("GET", "/api/v1/builds/01NOSUCHBUILD", null).statusCode());
    assertEquals(400, send("GET", "/api/v1/builds?state=BOGUS", null).statusCode());
    assertEquals(404, send("GET", "/api/v2/builds", null).statusCode());
  }

  @Test
  void pinningABuildOverHttpPinsItsArtifactsAndShowsInItsView() throws Exception {
    byte[] iso = "an ISO worth keeping".getBytes(StandardCharsets.UTF_8);
    String sha = artifacts.put(Sha256.of(iso), new java.io.ByteArrayInputStream(iso)).sha256();
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()));
    store.claim(id, "w1", Instant.now().plusSeconds(60), "test").orElseThrow();
    store.finish(id, "w1", BuildOutcome.succeeded(List.of(new ArtifactRecord("bootstrap.iso", sha, iso.length))))
        .orElseThrow();
    assertFalse(json(send("GET", "/api/v1/builds/" + id, null)).get("pinned").asBoolean());

    HttpResponse<String> pinned = send("PUT", "/api/v1/builds/" + id + "/pin", "{\"reason\": \"release 1.4\"}");

    assertEquals(200, pinned.statusCode(), pinned.body());
    assertTrue(json(pinned).get("pinned").asBoolean(), pinned.body());
    assertTrue(json(send("GET", "/api/v1/builds/" + id, null)).get("pinned").asBoolean());
    assertEquals("build " + id + ": release 1.4", artifacts.pinReason(sha).orElseThrow());
    assertEquals(400, send("PUT", "/api/v1/builds/" + id + "/pin", "{}").statusCode());
    assertEquals(400, send("PUT", "/api/v1/builds/" + id + "/pin", "{\"reason\": ").statusCode());
    assertEquals(404, send("PUT", "/api/v1/builds/01NOSUCHBUILD/pin", "{\"reason\": \"x\"}").statusCode());

    HttpResponse<String> unpinned = send("DELETE", "/api/v1/builds/" + id + "/pin", null);
    assertEquals(200, unpinned.statusCode(), unpinned.body());
    assertFalse(json(unpinned).get("pinned").asBoolean());
    assertTrue(artifacts.pinReason(sha).isEmpty());
  }

  @Test
  void reposListsEachDefinitionWithItsPackageManagerOrProblems() throws Exception {
    JsonNode repos = json(send("GET", "/api/v1/repos", null)).get("repos");
    JsonNode debian = null;
    JsonNode centos = null;
    for (JsonNode repo : repos) {
      if (repo.get("name").asText().equals("debian-12")) {
        debian = repo;
      }
      if (repo.get("name").asText().equals("centos-6.9")) {
        centos = repo;
      }
    }
    assertEquals("apt", debian.get("packageManager").asText());
    assertTrue(centos.get("problems").size() > 0, centos::toString);
    assertEquals(200, send("GET", "/health", null).statusCode());
    assertEquals(0, json(send("GET", "/api/v1/workers", null)).get("workers").size());
  }

  @Test
  void pathsMatchAsSentAndOtherSpellingsAreRefusedWithAnAnswer() throws Exception {
    HttpResponse<String> slash = send("GET", "/health/", null);
    assertEquals(400, slash.statusCode(), "a trailing slash is another spelling of a path, which no route answers");
    assertEquals("the path '/health/' is not in its canonical form '/health': this API answers a path only as it is"
        + " written, without '.' or '..' segments, doubled or trailing slashes, or percent-encoded letters and digits",
        json(slash).get("message").asText());
    assertEquals(400, send("GET", "/api/v1/../v1/repos", null).statusCode(), "paths are not normalized but refused");
    HttpResponse<String> unknown = send("GET", "/api/v1/nothing", null);
    assertEquals(404, unknown.statusCode());
    assertEquals("GET /api/v1/nothing is not an API call; see GET /api/v1/builds, /api/v1/repos, /api/v1/workers,"
        + " /health", json(unknown).get("message").asText());
    assertEquals("no build a%2Fb", json(send("GET", "/api/v1/builds/a%2Fb", null)).get("message").asText(),
        "an id is taken as sent, undecoded");
    assertEquals(404, send("PUT", "/api/v1/builds/pin", "{}").statusCode(), "no id between the fixed parts");
  }
}
