package org.bootfarm.protocol.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared artifact client against a real local HTTP server that answers as the store does, or misbehaves. */
@Tag("unit")
class ArtifactStoreClientTest {
  private static final byte[] CONTENT = "the bytes of an artifact\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
  private static final String SHA = sha(CONTENT);

  @TempDir Path dir;
  private HttpServer server;
  private ExecutorService handlers;
  private String baseUrl;
  /** What the store holds, by sha256. */
  private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
  /** What GET answers instead of the object, when set. */
  private volatile Behaviour behaviour = Behaviour.STORE;
  /** Released when the test ends: a handler that stalls waits on it. */
  private final CountDownLatch release = new CountDownLatch(1);

  private enum Behaviour { STORE, WRONG_BYTES, STALL_BEFORE_ANSWER, STALL_MID_BODY, SERVER_ERROR }

  /** For the stalls: gives up after 0.4 s of silence, so those tests are quick. */
  private final ArtifactStoreClient client =
      new ArtifactStoreClient(new ArtifactStoreClient.Timeouts(Duration.ofSeconds(2), Duration.ofMillis(400)));
  /** For everything else: a loaded machine can be silent for longer than 0.4 s between two chunks. */
  private final ArtifactStoreClient patient =
      new ArtifactStoreClient(new ArtifactStoreClient.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10)));

  @BeforeEach
  void startStore() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    handlers = Executors.newCachedThreadPool();
    server.setExecutor(handlers);
    server.createContext(ArtifactStoreClient.PATH, this::handle);
    server.start();
    baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopStore() {
    release.countDown();
    server.stop(0);
    handlers.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String sha256 = exchange.getRequestURI().getPath().substring(ArtifactStoreClient.PATH.length());
    try (exchange) {
      if (exchange.getRequestMethod().equals("PUT")) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (!sha(body).equals(sha256)) {
          answer(exchange, 400, "digest mismatch");
          return;
        }
        objects.put(sha256, body);
        answer(exchange, 201, "");
        return;
      }
      switch (behaviour) {
        case SERVER_ERROR -> answer(exchange, 503, "restarting");
        case STALL_BEFORE_ANSWER -> await();
        case WRONG_BYTES -> answer(exchange, 200, "not what was asked for");
        case STALL_MID_BODY -> {
          exchange.sendResponseHeaders(200, CONTENT.length);
          OutputStream out = exchange.getResponseBody();
          out.write(CONTENT, 0, 100);
          out.flush();
          await();
        }
        case STORE -> {
          byte[] object = objects.get(sha256);
          if (object == null) {
            answer(exchange, 404, "no artifact " + sha256);
          } else {
            exchange.sendResponseHeaders(200, object.length);
            exchange.getResponseBody().write(object);
          }
        }
      }
    }
  }

  private void await() {
    try {
      release.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static String sha(byte[] bytes) {
    return Sha256.of(bytes);
  }

  private List<Path> filesIn(Path directory) throws IOException {
    try (var files = Files.list(directory)) {
      return files.toList();
    }
  }

  @Test
  void anUploadedFileDownloadsIntoPlace() throws Exception {
    Path file = Files.write(dir.resolve("disk.img"), CONTENT);
    patient.upload(baseUrl, SHA, file);
    assertArrayEquals(CONTENT, objects.get(SHA));

    Path target = dir.resolve("down/disk.img");
    assertEquals(target, patient.download(baseUrl, SHA, target));
    assertArrayEquals(CONTENT, Files.readAllBytes(target));
    assertEquals(List.of(target), filesIn(target.getParent()), "no temporary file left beside it");
  }

  @Test
  void aDownloadWhoseBytesHashOtherwiseIsRefusedAndNothingIsLeft() throws Exception {
    behaviour = Behaviour.WRONG_BYTES;
    Path target = dir.resolve("down/disk.img");
    ArtifactTransferException e = assertThrows(ArtifactTransferException.class,
        () -> patient.download(baseUrl, SHA, target));
    String actual = sha("not what was asked for".getBytes(StandardCharsets.UTF_8));
    assertTrue(e.getMessage().contains(baseUrl + ArtifactStoreClient.PATH + SHA), e.getMessage());
    assertTrue(e.getMessage().contains(SHA) && e.getMessage().contains(actual), e.getMessage());
    assertFalse(e.worthRetrying());
    assertEquals(List.of(), filesIn(target.getParent()));
  }

  @Test
  void aStoreThatDoesNotAnswerTimesOut() throws Exception {
    behaviour = Behaviour.STALL_BEFORE_ANSWER;
    long start = System.nanoTime();
    ArtifactTransferException e = assertThrows(ArtifactTransferException.class,
        () -> client.download(baseUrl, SHA, dir.resolve("disk.img")));
    assertTrue(e.worthRetrying(), e.getMessage());
    assertTrue(e.getMessage().contains("sent nothing for"), e.getMessage());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
    assertEquals(List.of(), filesIn(dir));
  }

  @Test
  void aBodyThatGoesQuietTimesOutAndLeavesNoPartialFile() throws Exception {
    behaviour = Behaviour.STALL_MID_BODY;
    ArtifactTransferException e = assertThrows(ArtifactTransferException.class,
        () -> client.download(baseUrl, SHA, dir.resolve("disk.img")));
    assertTrue(e.worthRetrying(), e.getMessage());
    assertTrue(e.getMessage().contains("mid-body"), e.getMessage());
    assertEquals(List.of(), filesIn(dir));
  }

  @Test
  void anInterruptedDownloadLeavesNoPartialFile() throws Exception {
    behaviour = Behaviour.STALL_MID_BODY;
    ArtifactStoreClient patient = new ArtifactStoreClient(
        new ArtifactStoreClient.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(30)));
    ExecutorService downloader = Executors.newSingleThreadExecutor();
    try {
      Future<Path> download = downloader.submit(() -> patient.download(baseUrl, SHA, dir.resolve("disk.img")));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (filesIn(dir).isEmpty() && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the temporary file appears once the body starts
      }
      assertFalse(filesIn(dir).isEmpty(), "the download started");
      downloader.shutdownNow(); // interrupts it
      var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> download.get(10, TimeUnit.SECONDS));
      assertInstanceOf(InterruptedException.class, e.getCause());
      assertEquals(List.of(), filesIn(dir));
    } finally {
      downloader.shutdownNow();
    }
  }

  @Test
  void aMissingObjectAndAServerErrorSayWhetherToTryAgain() {
    ArtifactTransferException missing = assertThrows(ArtifactTransferException.class,
        () -> patient.download(baseUrl, SHA, dir.resolve("disk.img")));
    assertEquals(404, missing.status());
    assertFalse(missing.worthRetrying());
    behaviour = Behaviour.SERVER_ERROR;
    ArtifactTransferException restarting = assertThrows(ArtifactTransferException.class,
        () -> patient.download(baseUrl, SHA, dir.resolve("disk.img")));
    assertEquals(503, restarting.status());
    assertTrue(restarting.worthRetrying());
    assertTrue(restarting.getMessage().contains("restarting"), restarting.getMessage());
  }

  @Test
  void aStoreNobodyListensOnIsUnreachableAndWorthAnotherTry() throws Exception {
    int port = server.getAddress().getPort();
    server.stop(0);
    ArtifactTransferException e = assertThrows(ArtifactTransferException.class,
        () -> patient.download("http://127.0.0.1:" + port, SHA, dir.resolve("disk.img")));
    assertTrue(e.worthRetrying());
    assertEquals(0, e.status());
  }

  @Test
  void failoverMovesToTheActiveStoreAndGivesUpAtTheDeadline() throws Exception {
    objects.put(SHA, CONTENT);
    int deadPort;
    try (var socket = new java.net.ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    String dead = "http://127.0.0.1:" + deadPort;
    List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();
    Backoff backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(40), 0.5);
    Path target = dir.resolve("disk.img");
    new StoreFailover(backoff, () -> baseUrl, notes::add)
        .run("download of disk.img", System.nanoTime() + TimeUnit.SECONDS.toNanos(10), dead,
            url -> patient.download(url, SHA, target));
    assertArrayEquals(CONTENT, Files.readAllBytes(target));
    assertTrue(notes.get(0).contains("moved from " + dead + " to " + baseUrl), notes.toString());

    AtomicInteger tries = new AtomicInteger();
    IOException gaveUp = assertThrows(IOException.class, () -> new StoreFailover(backoff, () -> null, notes::add)
        .run("download of disk.img", System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300), dead, url -> {
          tries.incrementAndGet();
          patient.download(url, SHA, target);
        }));
    assertTrue(tries.get() > 1, "tried again: " + tries);
    assertTrue(gaveUp.getMessage().contains("failed " + tries.get() + " times"), gaveUp.getMessage());

    behaviour = Behaviour.WRONG_BYTES;
    tries.set(0);
    assertThrows(ArtifactTransferException.class, () -> new StoreFailover(backoff, () -> null, notes::add)
        .run("download of disk.img", System.nanoTime() + TimeUnit.SECONDS.toNanos(10), baseUrl, url -> {
          tries.incrementAndGet();
          patient.download(url, SHA, dir.resolve("other.img"));
        }));
    assertEquals(1, tries.get(), "bytes that are not what was asked for are not fetched again");
  }
}
