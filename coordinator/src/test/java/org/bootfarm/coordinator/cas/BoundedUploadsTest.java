package org.bootfarm.coordinator.cas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.HttpAnswer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounds on uploads (ADR 0041) against a real HTTP server on 127.0.0.1, driven over raw sockets so that a
 * test sends exactly as slowly as it means to: slow uploads hold threads of their own pool and never the Vert.x
 * worker pool; an upload slower than the minimum rate or past its deadline is cut off with 408; a client over its
 * limit gets 429 and a full pool 503, both with Retry-After; an upload that would cross the quota or eat into the
 * disk's reserve gets 507 with what is full and what to do, and leaves nothing in the store, while what the
 * coordinator stores for a submit (its pinned definition) is still kept.
 */
@Tag("unit")
class BoundedUploadsTest {
  @TempDir Path temp;
  private Vertx vertx;
  private ArtifactStore store;
  private ArtifactHttpEndpoint endpoint;
  private SimpleMeterRegistry registry;
  private int port;
  private final List<Socket> sockets = new ArrayList<>();
  private final List<Thread> senders = new ArrayList<>();

  /** An HTTP answer read off a socket. */

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx(); // the default worker pool: 20 threads, as in the coordinator
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stop() throws Exception {
    senders.forEach(Thread::interrupt);
    for (Socket socket : sockets) {
      socket.close();
    }
    if (endpoint != null) {
      endpoint.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (store != null) {
      store.close();
    }
  }

  /** Opens a store with {@code space} and serves it within {@code limits}; the client is the X-Client header. */
  private void serve(UploadLimits limits, StoreSpace space) throws Exception {
    store = ArtifactStore.openAt(temp.resolve("store"), ArtifactStore.Options.defaults().withSpace(space));
    endpoint = new ArtifactHttpEndpoint(vertx, store, limits, registry, stored -> { });
    Router router = Router.router(vertx);
    endpoint.mount(router, context -> context.request().getHeader("X-Client"));
    HttpServer server = vertx.createHttpServer().requestHandler(router);
    port = await(server.listen(0, "127.0.0.1")).actualPort();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Opens an upload of {@code sha256} as {@code client}: its headers are sent, its body is up to the caller. */
  private Socket open(String sha256, String client, Long contentLength) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(30_000);
    sockets.add(socket);
    String head = "PUT " + ArtifactHttpEndpoint.PREFIX + sha256 + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Client: " + client
        + "\r\n" + (contentLength == null ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + contentLength
        + "\r\n") + "\r\n";
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  /** Sends {@code bytes}, one byte every {@code every}, from a thread of its own, until done or the socket closes. */
  private void trickle(Socket socket, byte[] bytes, Duration every) {
    Thread sender = new Thread(() -> {
      try {
        OutputStream out = socket.getOutputStream();
        for (byte b : bytes) {
          out.write(b);
          out.flush();
          Thread.sleep(every.toMillis());
        }
      } catch (IOException | InterruptedException e) {
        // the server cut it off, or the test ended
      }
    });
    sender.setDaemon(true);
    sender.start();
    senders.add(sender);
  }

  private HttpAnswer upload(String client, byte[] content, boolean declareLength) throws IOException {
    Socket socket = open(Sha256.of(content), client, declareLength ? (long) content.length : null);
    OutputStream out = socket.getOutputStream();
    if (declareLength) {
      out.write(content);
    } else {
      out.write((Integer.toHexString(content.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(content);
      out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.flush();
    return HttpAnswer.read(socket);
  }

  private static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private double refused(String reason) {
    return registry.get("bootfarm.uploads.refused").tag("reason", reason).counter().count();
  }

  private List<Path> incoming() throws IOException {
    try (Stream<Path> files = Files.list(store.directory().resolve("incoming"))) {
      return files.toList();
    }
  }

  @Test
  void twentySlowUploadsLeaveTheWorkerPoolFree() throws Exception {
    serve(UploadLimits.DEFAULTS.withSlots(20, 20), StoreSpace.DEFAULT);
    for (int i = 0; i < 20; i++) {
      byte[] content = bytes(100, i);
      trickle(open(Sha256.of(content), "slow", (long) content.length), content, Duration.ofSeconds(1));
    }
    assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(50), () -> registry.get("bootfarm.uploads.in.flight").gauge().value() == 20),
        "twenty uploads run");

    // what leases, reports and the build store run on: Vert.x's 20 worker threads, all still free
    long began = System.nanoTime();
    List<Future<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int n = i;
      calls.add(vertx.executeBlocking(() -> n, false));
    }
    await(Future.all(calls));
    long millis = (System.nanoTime() - began) / 1_000_000;
    assertTrue(millis < 2000, "20 calls on the worker pool took " + millis + " ms while 20 uploads trickled in");
  }

  @Test
  void anUploadSlowerThanTheMinimumRateIsCutOffWith408() throws Exception {
    serve(UploadLimits.DEFAULTS.withMinRate(100, Duration.ofSeconds(1)), StoreSpace.DEFAULT);
    byte[] content = bytes(1000, 1);
    Socket socket = open(Sha256.of(content), "slow", (long) content.length);
    trickle(socket, content, Duration.ofMillis(100)); // 10 bytes a second

    long began = System.nanoTime();
    HttpAnswer reply = HttpAnswer.read(socket);

    assertEquals(408, reply.status(), reply::toString);
    assertTrue(reply.body().contains("under the minimum of 100 bytes/s (--upload-min-rate)"), reply.body());
    assertTrue((System.nanoTime() - began) / 1_000_000 < 5000, "cut off after its first slow window");
    assertEquals(1.0, refused("too_slow"));
    assertFalse(store.exists(Sha256.of(content)));
    assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(50), () -> incoming().isEmpty()), "no partial upload is left");
  }

  @Test
  void anUploadPastItsDeadlineIsCutOffWith408() throws Exception {
    serve(UploadLimits.DEFAULTS.withDeadline(Duration.ofSeconds(2)).withMinRate(0, Duration.ofSeconds(1)),
        StoreSpace.DEFAULT);
    byte[] content = bytes(10_000, 2);
    Socket socket = open(Sha256.of(content), "steady", (long) content.length);
    trickle(socket, content, Duration.ofMillis(20)); // 50 bytes a second: would take 200 s

    HttpAnswer reply = HttpAnswer.read(socket);

    assertEquals(408, reply.status(), reply::toString);
    assertTrue(reply.body().contains("took longer than the 2 s an upload may take (--upload-deadline)"), reply.body());
    assertEquals(1.0, refused("deadline"));
    assertFalse(store.exists(Sha256.of(content)));
  }

  @Test
  void aClientOverItsLimitGets429AndAFullPool503BothWithRetryAfter() throws Exception {
    serve(UploadLimits.DEFAULTS.withSlots(3, 2), StoreSpace.DEFAULT);
    for (int i = 0; i < 2; i++) {
      byte[] content = bytes(100, 10 + i);
      trickle(open(Sha256.of(content), "alice", (long) content.length), content, Duration.ofMillis(200));
    }
    assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(50), () -> registry.get("bootfarm.uploads.in.flight").gauge().value() == 2), "alice's two run");

    HttpAnswer third = upload("alice", bytes(100, 12), true);
    assertEquals(429, third.status(), third::toString);
    assertEquals("5", third.headers().get("retry-after"));
    assertTrue(third.body().contains("client alice has 2 uploads running, its limit (--uploads-per-client)"),
        third.body());

    byte[] bobs = bytes(100, 13);
    trickle(open(Sha256.of(bobs), "bob", (long) bobs.length), bobs, Duration.ofMillis(200));
    assertTrue(Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(50), () -> registry.get("bootfarm.uploads.in.flight").gauge().value() == 3), "bob's runs");
    HttpAnswer carols = upload("carol", bytes(100, 14), true);
    assertEquals(503, carols.status(), carols::toString);
    assertEquals("5", carols.headers().get("retry-after"));
    assertTrue(carols.body().contains("all its upload threads (--upload-threads)"), carols.body());
    assertEquals(1.0, refused("client_limit"));
    assertEquals(1.0, refused("busy"));
  }

  @Test
  void anUploadThatWouldCrossTheQuotaGets507AndLeavesNothing() throws Exception {
    serve(UploadLimits.DEFAULTS, StoreSpace.DEFAULT.withQuota(10_000));
    HttpAnswer first = upload("alice", bytes(6000, 20), true);
    assertEquals(201, first.status(), first::toString);
    ArtifactStore.Stats before = store.stats();

    byte[] declared = bytes(6000, 21);
    HttpAnswer refusedDeclared = upload("alice", declared, true);
    byte[] streamed = bytes(6000, 22);
    HttpAnswer refusedStreamed = upload("alice", streamed, false);

    for (HttpAnswer reply : List.of(refusedDeclared, refusedStreamed)) {
      assertEquals(507, reply.status(), reply::toString);
      assertTrue(reply.body().contains("holds 5.9 KiB of its 9.8 KiB quota (--store-quota)"), reply.body());
      assertTrue(reply.body().contains("over; nothing was stored. Free space with 'bootfarm gc'"), reply.body());
    }
    assertEquals(before, store.stats());
    assertFalse(store.exists(Sha256.of(declared)));
    assertFalse(store.exists(Sha256.of(streamed)));
    assertEquals(List.of(), incoming(), "no partial object");
    assertEquals(2.0, refused("quota"));
    HttpAnswer fits = upload("alice", bytes(3000, 23), false);
    assertEquals(201, fits.status(), "the refused uploads gave their claims back: " + fits);
  }

  @Test
  void anUploadThatWouldEatIntoTheReserveGets507NamingIt() throws Exception {
    serve(UploadLimits.DEFAULTS, new StoreSpace(0, 0, 100)); // keep the whole file system free: nothing fits

    HttpAnswer reply = upload("alice", bytes(1000, 30), true);

    assertEquals(507, reply.status(), reply::toString);
    assertTrue(reply.body().contains("(--store-reserve 0 B,100%)"), reply.body());
    assertTrue(reply.body().contains("Free space with 'bootfarm gc' or on the disk, or lower --store-reserve"),
        reply.body());
    assertEquals(0, store.stats().objects());
    assertEquals(List.of(), incoming());
    assertEquals(1.0, refused("reserve"));
  }

  @Test
  void whatTheCoordinatorStoresForASubmitIsNotRefusedWhenUploadsAre() throws Exception {
    serve(UploadLimits.DEFAULTS, new StoreSpace(1, 0, 100)); // every upload refused: quota and reserve
    byte[] definition = bytes(2000, 40);
    assertEquals(507, upload("alice", definition, true).status());

    ArtifactStore.PutResult kept = store.putOwn(Sha256.of(definition), new java.io.ByteArrayInputStream(definition));

    assertTrue(kept.created() && store.exists(Sha256.of(definition)), "a submission's pinned definition is kept");
  }
}
