package org.bootfarm.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.HttpAnswer;
import org.bootfarm.testkit.PathSpellings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may call the HTTP API: without a token of the tokens file every call but {@code GET /health} (and
 * {@code /metrics}, unless protected) is a 401 with a Bearer challenge, a role too small is a 403 naming both
 * roles, nothing refused changes anything, each refusal is counted, and the file is read again when it changes.
 */
@Tag("unit")
class ApiHttpAccessTest {
  static final String READ = "viewer-0123456789abcdef";
  static final String SUBMIT = "ci-0123456789abcdef";
  static final String OTHER = "bob-0123456789abcdef";
  static final String ADMIN = "ops-0123456789abcdef";
  static final String LINES = "viewer " + READ + " read\nci " + SUBMIT + "\nbob " + OTHER + " submit\nops " + ADMIN
      + " admin\n";
  @TempDir static Path dir;
  static Vertx vertx;
  static SqlBuildStore store;
  static ArtifactStore artifacts;
  static ApiRefusals refusals;
  static Path tokens;
  static String base;
  static String protectedBase;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    BuildCoordinator coordinator = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
        new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    tokens = Files.writeString(dir.resolve("tokens"), LINES);
    LiveTokens live = LiveTokens.watch(vertx, tokens);
    refusals = new ApiRefusals(new SimpleMeterRegistry());
    ArtifactHttpEndpoint endpoint = new ArtifactHttpEndpoint(vertx, artifacts, Duration.ofSeconds(30));
    base = "http://127.0.0.1:" + new ApiHttpServer(vertx, coordinator, endpoint).withMetrics(() -> "up 1\n")
        .withAccess(live, refusals, false).listen("127.0.0.1", 0).await().actualPort();
    protectedBase = "http://127.0.0.1:" + new ApiHttpServer(vertx, coordinator, endpoint)
        .withMetrics(() -> "up 1\n").withAccess(live, ApiRefusals.uncounted(), true).listen("127.0.0.1", 0).await()
        .actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  static HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    return send(base, token, method, path, body);
  }

  static HttpResponse<String> send(String server, String token, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server + path)).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", path.startsWith("/api/v1/artifacts/") ? "application/octet-stream"
          : "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  static List<String> allBuilds() {
    return store.list(BuildFilter.newest(100_000)).stream().map(BuildRecord::id).toList();
  }

  /** A component in the store and a submission naming it. */
  static String submission() throws Exception {
    byte[] tether = "#!/bin/sh\necho the tether of the access tests\n".getBytes(StandardCharsets.UTF_8);
    String sha = Sha256.of(tether);
    assertEquals(201 / 100, send(SUBMIT, "PUT", "/api/v1/artifacts/" + sha,
        new String(tether, StandardCharsets.UTF_8)).statusCode() / 100);
    return "{\"repo\": \"debian-12\", \"target\": \"bootstrap\", \"components\": {\"tether\": \"" + sha + "\", \"unpack\": \"" + sha + "\"}}";
  }

  @Test
  void withoutATokenEveryCallButHealthIs401WithABearerChallengeAndNothingChanges() throws Exception {
    String submission = submission();
    List<String> before = allBuilds();
    double counted = refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.UNAUTHENTICATED);
    String upload = "/api/v1/artifacts/" + Sha256.of("never stored".getBytes(StandardCharsets.UTF_8));
    List<String[]> calls = List.of(new String[] {"POST", "/api/v1/builds", submission},
        new String[] {"GET", "/api/v1/builds", null}, new String[] {"GET", "/api/v1/workers", null},
        new String[] {"PUT", upload, "never stored"}, new String[] {"POST", "/api/v1/nightly", null},
        new String[] {"PUT", "/api/v1/builds/x/pin", "{}"}, new String[] {"GET", "/nightly/latest", null});
    for (String[] call : calls) {
      HttpResponse<String> response = send(null, call[0], call[1], call[2]);
      assertEquals(401, response.statusCode(), call[0] + " " + call[1] + ": " + response.body());
      assertEquals("Bearer realm=\"bootfarm\"", response.headers().firstValue("WWW-Authenticate").orElse(null));
      assertEquals("UNAUTHORIZED", json(response).get("code").asText());
      String message = json(response).get("message").asText();
      assertTrue(message.contains("no Authorization: Bearer token") && message.contains("the coordinator's tokens file"),
          message);
      assertFalse(response.body().contains(dir.toString()), "a caller without a token is told no server path: "
          + response.body());
    }
    assertEquals(before, allBuilds(), "a refused call queued a build");
    assertFalse(artifacts.exists(upload.substring(upload.lastIndexOf('/') + 1)), "a refused upload was stored");
    assertEquals(counted + calls.size(),
        refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.UNAUTHENTICATED));
    assertEquals(200, send(null, "GET", "/health", null).statusCode());
  }

  @Test
  void anUploadRefusedBeforeItsBodyIsReadGetsItsRefusalNotAReset() throws Exception {
    // the refusal comes before the body is read; closing over unread bytes resets the connection, and a client still
    // sending loses the answer: both ways the JDK client speaks (its h2c upgrade, as the farm's uploads; HTTP/1.1, as
    // curl), a body far larger than the first read, again and again
    String body = "x".repeat(1 << 20);
    String upload = "/api/v1/artifacts/" + Sha256.of(body.getBytes(StandardCharsets.UTF_8));
    HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (HttpClient client : List.of(HTTP, http11)) {
      for (int attempt = 0; attempt < 15; attempt++) {
        for (String token : java.util.Arrays.asList(null, READ)) {
          HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + upload))
              .PUT(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/octet-stream");
          if (token != null) {
            request.header("Authorization", "Bearer " + token);
          }
          HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(token == null ? 401 : 403, response.statusCode(), client.version() + ", try " + attempt);
          assertTrue(json(response).get("message").asText().contains(token == null ? "no Authorization" : "role"),
              response.body());
        }
      }
    }
    assertFalse(artifacts.exists(upload.substring(upload.lastIndexOf('/') + 1)), "a refused upload was stored");
  }

  @Test
  void anUnauthenticatedEndlessUploadIsRefusedWithoutReadingItAll() throws Exception {
    EndlessChunkedBody.Outcome outcome = EndlessChunkedBody.send(URI.create(base).getPort(),
        "PUT /api/v1/artifacts/" + Sha256.of(new byte[0]) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    assertEquals("HTTP/1.1 401 Unauthorized", outcome.statusLine());
    assertTrue(outcome.sent() < UnreadBodyClose.DRAIN_BYTES + (32 << 20), "the server went on reading an"
        + " unauthenticated body after its refusal: " + outcome.sent() + " bytes sent (socket buffers hold a few MiB)");
  }

  @Test
  void aWrongTokenOrAnotherSchemeIs401NamingWhatCame() throws Exception {
    HttpResponse<String> wrong = send("not-a-token-0123456789abcdef", "GET", "/api/v1/builds", null);
    assertEquals(401, wrong.statusCode());
    assertTrue(json(wrong).get("message").asText().contains("not in the tokens file"), wrong.body());
    HttpResponse<String> basic = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/builds"))
        .header("Authorization", "Basic " + READ).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, basic.statusCode());
    assertTrue(json(basic).get("message").asText().contains("not 'Bearer <token>'"), basic.body());
  }

  @Test
  void aReadTokenReadsButCannotSubmitOrUploadAndIs403NamingBothRoles() throws Exception {
    String submission = submission();
    List<String> before = allBuilds();
    double counted = refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.FORBIDDEN);
    assertEquals(200, send(READ, "GET", "/api/v1/builds", null).statusCode());
    HttpResponse<String> submit = send(READ, "POST", "/api/v1/builds", submission);
    assertEquals(403, submit.statusCode(), submit.body());
    assertEquals("FORBIDDEN", json(submit).get("code").asText());
    assertTrue(json(submit).get("message").asText().startsWith("client 'viewer' has role read; submitting needs"
        + " submit"), submit.body());
    String sha = Sha256.of("read cannot upload".getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> upload = send(READ, "PUT", "/api/v1/artifacts/" + sha, "read cannot upload");
    assertEquals(403, upload.statusCode(), upload.body());
    assertTrue(json(upload).get("message").asText().contains("uploading an artifact needs submit"), upload.body());
    assertFalse(artifacts.exists(sha));
    assertEquals(before, allBuilds());
    assertEquals(counted + 2, refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.FORBIDDEN));
  }

  @Test
  void aSubmitTokenCannotPinOrStartANightlyRunAndOnlyItsSubmitterOrAnAdminCancels() throws Exception {
    HttpResponse<String> submitted = send(SUBMIT, "POST", "/api/v1/builds", submission());
    assertEquals(201, submitted.statusCode(), submitted.body());
    String id = json(submitted).get("id").asText();
    JsonNode recorded = json(send(READ, "GET", "/api/v1/builds/" + id, null));
    assertEquals("ci", recorded.get("submittedBy").asText());
    assertEquals("token", recorded.get("submittedWith").asText(), "the name is a client of the tokens file's");
    HttpResponse<String> pin = send(SUBMIT, "PUT", "/api/v1/builds/" + id + "/pin", "{\"reason\": \"keep\"}");
    assertEquals(403, pin.statusCode(), pin.body());
    assertTrue(json(pin).get("message").asText().startsWith("client 'ci' has role submit; pinning needs admin"));
    HttpResponse<String> nightly = send(SUBMIT, "POST", "/api/v1/nightly", null);
    assertEquals(403, nightly.statusCode(), nightly.body());
    assertTrue(json(nightly).get("message").asText().contains("starting a nightly run needs admin"), nightly.body());
    HttpResponse<String> othersCancel = send(OTHER, "POST", "/api/v1/builds/" + id + "/cancel", null);
    assertEquals(403, othersCancel.statusCode(), othersCancel.body());
    assertTrue(json(othersCancel).get("message").asText().contains("was submitted by 'ci'"), othersCancel.body());
    assertEquals("QUEUED", json(send(READ, "GET", "/api/v1/builds/" + id, null)).get("state").asText());
    assertEquals(200, send(SUBMIT, "POST", "/api/v1/builds/" + id + "/cancel", null).statusCode());
    String second = json(send(SUBMIT, "POST", "/api/v1/builds", submission())).get("id").asText();
    assertEquals(200, send(ADMIN, "POST", "/api/v1/builds/" + second + "/cancel", null).statusCode(),
        "an admin cancels anyone's build");
  }

  /** A request as written, its path never normalized, with {@code token} (null: none) and a JSON or octet body. */
  static HttpAnswer raw(String method, String path, String token, String body) throws Exception {
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    if (token != null) {
      headers.put("Authorization", "Bearer " + token);
    }
    if (body != null) {
      headers.put("Content-Type", path.contains("/artifacts/") && !path.contains("issing") ? "application/octet-stream"
          : "application/json");
    }
    return HttpAnswer.exchange(URI.create(base).getPort(), method, path, headers, body);
  }

  @Test
  void aReadTokenReachesNoWriteCallThroughAnotherSpellingOfItsPath() throws Exception {
    String submitted = json(send(SUBMIT, "POST", "/api/v1/builds", submission())).get("id").asText();
    List<String> before = allBuilds();
    String lacking = "[\"" + "0".repeat(64) + "\"]";
    String body = "read cannot upload through another spelling";
    String sha = Sha256.of(body.getBytes(StandardCharsets.UTF_8));
    assertEquals(403, raw("POST", "/api/v1/artifacts/missing", READ, lacking).status(), "the plain path: 403");
    assertEquals(200, raw("POST", "/api/v1/artifacts/missing", SUBMIT, lacking).status(), "the plain path: allowed");
    double counted = refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.NON_CANONICAL_PATH);
    List<String[]> calls = List.of(new String[] {"POST", "/api/v1/artifacts/missing", lacking},
        new String[] {"POST", "/api/v1/builds", submission()}, new String[] {"PUT", "/api/v1/artifacts/" + sha, body},
        new String[] {"POST", "/api/v1/builds/" + submitted + "/cancel", null},
        new String[] {"POST", "/api/v1/builds/" + submitted + "/rebuild", null},
        new String[] {"PUT", "/api/v1/builds/" + submitted + "/pin", "{\"reason\": \"keep\"}"},
        new String[] {"DELETE", "/api/v1/builds/" + submitted + "/pin", null});
    int refused = 0;
    for (String[] call : calls) {
      List<String> spellings = new java.util.ArrayList<>(PathSpellings.otherThan(call[1]));
      if (call[1].endsWith("/missing")) {
        spellings.add("/api/v1/builds/../artifacts/missing"); // as the review found it
      }
      for (String path : spellings) {
        for (String token : List.of(READ, ADMIN)) {
          HttpAnswer answer = raw(call[0], path, token, call[2]);
          assertEquals(400, answer.status(), call[0] + " " + path + ": " + answer.body());
          assertEquals("BAD_REQUEST", JSON.readTree(answer.body()).get("code").asText(), answer.body());
          assertTrue(answer.body().contains("not in its canonical form"), answer.body());
          refused++;
        }
      }
    }
    assertEquals(before, allBuilds(), "a refused call queued a build");
    assertFalse(artifacts.exists(sha), "a refused upload was stored");
    assertEquals("QUEUED", json(send(READ, "GET", "/api/v1/builds/" + submitted, null)).get("state").asText());
    assertEquals(counted + refused, refusals.counted(ApiRefusals.Interface.HTTP,
        ApiRefusals.Reason.NON_CANONICAL_PATH));
  }

  @Test
  void aMissingQueryLargerThanAnyAnswerIsRefusedBeforeItsBodyIsRead() throws Exception {
    // declared: 413 at once, not a byte of the body sent
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", URI.create(base).getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /api/v1/artifacts/missing HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + SUBMIT + "\r\nContent-Type: application/json\r\nContent-Length: "
          + (100L << 20) + "\r\n\r\n[").getBytes(StandardCharsets.US_ASCII));
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      assertEquals("HTTP/1.1 413 Request Entity Too Large", status);
    }
    // chunked, without a length: refused once the bound is passed, and the rest is not read
    EndlessChunkedBody.Outcome outcome = EndlessChunkedBody.send(URI.create(base).getPort(),
        "POST /api/v1/artifacts/missing HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + SUBMIT
            + "\r\nContent-Type: application/json\r\n");
    assertEquals("HTTP/1.1 413 Request Entity Too Large", outcome.statusLine());
    assertTrue(outcome.sent() < ArtifactHttpEndpoint.MISSING_MAX_BYTES + UnreadBodyClose.DRAIN_BYTES + (32 << 20),
        "the server went on reading a missing query past its bound: " + outcome.sent() + " bytes sent");
  }

  @Test
  void metricsAreOpenUnlessProtectedAndThenNeedARead() throws Exception {
    assertEquals(200, send(null, "GET", "/metrics", null).statusCode());
    assertEquals(401, send(protectedBase, null, "GET", "/metrics", null).statusCode());
    assertEquals(200, send(protectedBase, READ, "GET", "/metrics", null).statusCode());
    assertEquals(200, send(protectedBase, null, "GET", "/health", null).statusCode());
  }

  @Test
  void aForeignHostAndANonJsonBodyAreCountedToo() throws Exception {
    double misdirected = refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.MISDIRECTED);
    double media = refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.UNSUPPORTED_MEDIA_TYPE);
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", URI.create(base).getPort())) {
      socket.getOutputStream().write(("GET /api/v1/workers HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      assertTrue(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8).startsWith("HTTP/1.1 421"));
    }
    HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/builds"))
        .header("Authorization", "Bearer " + SUBMIT).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(415, plain.statusCode(), plain.body());
    assertEquals(misdirected + 1, refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.MISDIRECTED));
    assertEquals(media + 1, refusals.counted(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.UNSUPPORTED_MEDIA_TYPE));
  }

  @Test
  void theTokensFileIsReadAgainWhenItChangesAndABadFileRefusesEveryone() throws Exception {
    String added = "added-0123456789abcdef";
    try {
      Files.writeString(tokens, LINES + "added " + added + " read\n");
      assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(100),
          () -> send(added, "GET", "/api/v1/builds", null).statusCode() == 200), "a line added is a token within 2 s");
      Files.writeString(tokens, LINES + "broken line with too many fields\n");
      assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(100),
          () -> send(ADMIN, "GET", "/api/v1/builds", null).statusCode() == 401), "a bad file refuses everyone");
    } finally {
      Files.writeString(tokens, LINES);
    }
    assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(100),
        () -> send(ADMIN, "GET", "/api/v1/builds", null).statusCode() == 200), "a fixed file is used again");
    assertEquals(401, send(added, "GET", "/api/v1/builds", null).statusCode(), "a line removed is revoked");
  }
}
