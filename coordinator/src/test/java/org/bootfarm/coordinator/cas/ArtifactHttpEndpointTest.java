package org.bootfarm.coordinator.cas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The artifact endpoint over real HTTP on 127.0.0.1, called with the JDK's HTTP client, the one the farm's own clients
 * use ({@code ArtifactStoreClient}, the CLI), keeping connections alive between calls as they do. Vert.x's HTTP client
 * is not one of the farm's clients: driven from the test's own Vert.x, it hung for 30 s, about once in 30 runs of this
 * class, on a request sent on a kept-alive connection right after an error answer, before the request reached the
 * server's router. The JDK client went through 300 runs without a hang.
 */
@Tag("unit")
class ArtifactHttpEndpointTest {
  private static final long LIMIT = 8L << 20;

  @TempDir Path temp;
  private Vertx vertx;
  private ArtifactStore store;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
  private int port;

  /** An HTTP answer: status, body, ETag and Content-Length headers. */
  private record Reply(int status, Buffer body, String etag, String contentLength) {
    JsonObject json() {
      return body.toJsonObject();
    }
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store =
        ArtifactStore.openAt(
            temp.resolve("store"), ArtifactStore.Options.defaults().withMaxObjectBytes(LIMIT));
    port = serve(store);
  }

  /** Serves a store's endpoint on a free port of 127.0.0.1; returns the port. */
  private int serve(ArtifactStore served) throws Exception {
    ArtifactHttpEndpoint endpoint = new ArtifactHttpEndpoint(vertx, served, Duration.ofSeconds(10));
    Router router = Router.router(vertx);
    endpoint.mount(router);
    router.route().handler(context -> context.response().setStatusCode(404).end("not an artifact path"));
    HttpServer server = vertx.createHttpServer().requestHandler(router);
    return await(server.listen(0, "127.0.0.1")).actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
    store.close();
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // the server never started or stopped: say where every thread was
      StringBuilder threads = new StringBuilder("no answer in 30 s; the JVM's threads:\n");
      Thread.getAllStackTraces().forEach((thread, stack) -> {
        threads.append(thread).append(' ').append(thread.getState()).append('\n');
        for (StackTraceElement frame : stack) {
          threads.append("    at ").append(frame).append('\n');
        }
      });
      throw new AssertionError(threads.toString(), e);
    }
  }

  /** One request to the endpoint, answered within 30 s. */
  private Reply call(HttpMethod method, String path, byte[] body) throws Exception {
    return call(client, port, method, path, body);
  }

  private static Reply call(HttpClient client, int port, HttpMethod method, String path, byte[] body)
      throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .method(method.name(), body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    return new Reply(response.statusCode(), Buffer.buffer(response.body()),
        response.headers().firstValue("ETag").orElse(null),
        response.headers().firstValue("Content-Length").orElse(null));
  }

  private static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  @Test
  void theMissingQueryAnswersWhatTheStoreLacksAndOnlyThat() throws Exception {
    byte[] held = bytes(1000, 7);
    String heldSha = Sha256.of(held);
    call(HttpMethod.PUT, "/api/v1/artifacts/" + heldSha, held);
    String lacking = Sha256.of(bytes(1000, 8));
    org.bootfarm.protocol.transfer.ArtifactStoreClient client = new org.bootfarm.protocol.transfer.ArtifactStoreClient();

    List<String> missing = vertx.executeBlocking(() -> client.missing("http://127.0.0.1:" + port,
        List.of(heldSha, lacking, lacking))).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertEquals(List.of(lacking), missing);
    Reply bad = call(HttpMethod.POST, ArtifactHttpEndpoint.MISSING, "[\"../etc/passwd\"]".getBytes());
    assertEquals(400, bad.status(), bad.body().toString());
    assertTrue(bad.json().getString("error").contains("element 0"), bad.body().toString());
    Reply notJson = call(HttpMethod.POST, ArtifactHttpEndpoint.MISSING, "{\"a\": 1}".getBytes());
    assertEquals(400, notJson.status(), notJson.body().toString());
  }

  @Test
  void uploadedArtifactDownloadsByItsHash() throws Exception {
    byte[] data = bytes(6_000_000, 1);
    String sha = Sha256.of(data);

    Reply put = call(HttpMethod.PUT, "/api/v1/artifacts/" + sha, data);

    assertEquals(201, put.status(), put.body().toString());
    assertEquals(sha, put.json().getString("sha256"));
    assertEquals(data.length, put.json().getLong("size"));
    assertTrue(put.json().getBoolean("created"));
    Reply get = call(HttpMethod.GET, "/api/v1/artifacts/" + sha, null);
    assertEquals(200, get.status());
    assertArrayEquals(data, get.body().getBytes());
    assertEquals("\"" + sha + "\"", get.etag());
    Reply head = call(HttpMethod.HEAD, "/api/v1/artifacts/" + sha, null);
    assertEquals(200, head.status());
    assertEquals(Integer.toString(data.length), head.contentLength());

    Reply again = call(HttpMethod.PUT, "/api/v1/artifacts/" + sha, data);
    assertEquals(200, again.status());
    assertFalse(again.json().getBoolean("created"));
    assertEquals(new ArtifactStore.Stats(1, data.length), store.stats());
  }

  @Test
  void uploadWithAnotherHashIsRefusedAndNothingStored() throws Exception {
    byte[] data = bytes(100_000, 2);
    String announced = Sha256.of(bytes(10, 3));

    Reply put = call(HttpMethod.PUT, "/api/v1/artifacts/" + announced, data);

    assertEquals(400, put.status());
    assertTrue(put.json().getString("error").contains(Sha256.of(data)), put.body().toString());
    assertFalse(store.exists(announced));
    assertEquals(new ArtifactStore.Stats(0, 0), store.stats());
  }

  @Test
  void uploadOverTheLimitIsRefusedAs413() throws Exception {
    try (ArtifactStore small =
        ArtifactStore.openAt(
            temp.resolve("small"), ArtifactStore.Options.defaults().withMaxObjectBytes(1000))) {
      int smallPort = serve(small);
      byte[] data = bytes(20_000, 4);

      // the 413 comes before the body is read. HTTP/1.1: the connection is closed only once the client has sent the
      // body, or it would read a reset in place of the answer; HTTP/2 (the JDK client's upgrade, as the farm's
      // uploads): only the stream ends, and the connection's next requests go through (UnreadBodyClose)
      HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(); // as curl
      for (HttpClient each : List.of(client, http11)) {
        for (int attempt = 0; attempt < 40; attempt++) {
          Reply put = call(each, smallPort, HttpMethod.PUT, "/api/v1/artifacts/" + Sha256.of(data), data);
          assertEquals(413, put.status(), each.version() + ", try " + attempt);
          assertTrue(put.json().getString("error").contains("limit of 1000 bytes"), put.body().toString());
        }
      }
      assertEquals(new ArtifactStore.Stats(0, 0), small.stats());
    }
  }

  @Test
  void badIdIs400AndUnknownIdIs404() throws Exception {
    Reply traversal = call(HttpMethod.GET, "/api/v1/artifacts/..%2F..%2Fetc%2Fpasswd", null);
    assertEquals(400, traversal.status());
    Reply upper =
        call(HttpMethod.GET, "/api/v1/artifacts/" + Sha256.of(bytes(1, 5)).toUpperCase(), null);
    assertEquals(400, upper.status());
    assertTrue(upper.json().getString("error").contains("upper-case"), upper.body().toString());

    String missing = Sha256.of(bytes(1, 6));
    Reply notFound = call(HttpMethod.GET, "/api/v1/artifacts/" + missing, null);
    assertEquals(404, notFound.status());
    assertTrue(notFound.json().getString("error").contains(missing));
  }
}
