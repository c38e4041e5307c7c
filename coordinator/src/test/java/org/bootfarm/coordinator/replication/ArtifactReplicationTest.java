package org.bootfarm.coordinator.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.http.HttpsIdentity;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.cluster.identity.SignedRecords;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator copies objects from another one's store over HTTP, or HTTPS with a certificate of its farm CA,
 * and keeps only what hashes right.
 */
@Tag("unit")
class ArtifactReplicationTest {
  private static final byte[] OBJECT = "an object another coordinator stored".getBytes(StandardCharsets.UTF_8);
  private static final String SHA = Sha256.of(OBJECT);
  private static final String OTHER = Sha256.of("something else".getBytes(StandardCharsets.UTF_8));

  @TempDir Path dir;
  private HttpServer other;
  private String otherUrl;
  /** What the other coordinator's store answers, by sha256: the object, or bytes that are not it. */
  private final Map<String, byte[]> served = new ConcurrentHashMap<>();
  private ArtifactStore store;
  private ArtifactReplication replication;
  /** The cluster's map of coordinator URLs, as a one-JVM test has it. */
  private final Map<String, String> urls = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws IOException {
    other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    other.createContext(ArtifactStoreClient.PATH, exchange -> {
      try (exchange) {
        byte[] body = served.get(exchange.getRequestURI().getPath().substring(ArtifactStoreClient.PATH.length()));
        if (body == null) {
          exchange.sendResponseHeaders(404, -1);
        } else {
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
        }
      }
    });
    other.start();
    otherUrl = "http://127.0.0.1:" + other.getAddress().getPort();
    store = ArtifactStore.openAt(dir.resolve("store"), ArtifactStore.Options.defaults());
    replication = replication(null);
  }

  /** This coordinator's replication, the other coordinator (node id "other") published in the same map. */
  private ArtifactReplication replication(javax.net.ssl.SSLContext trust) {
    CoordinatorUrls.publish(urls, SignedRecords.UNSECURED, "other", otherUrl);
    return new ArtifactReplication(null, store, CoordinatorUrls.publish(urls, SignedRecords.UNSECURED, "this",
        "http://127.0.0.1:1"), SenderCheck.UNSECURED, null, null, trust);
  }

  @AfterEach
  void stop() throws IOException {
    other.stop(0);
    store.close();
  }

  @Test
  void copiesFromACoordinatorServingHttpsWhenItTrustsTheFarmCa() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("farm-ca"), "test");
    MemberCredential peer = ca.issue(new MemberIdentity("coordinator-2", NodeRole.COORDINATOR), dir.resolve("peer"),
        List.of("127.0.0.1"));
    Vertx vertx = Vertx.vertx();
    try {
      HttpsIdentity identity = HttpsIdentity.of(peer.dir().resolve(FarmCa.MEMBER_CERT),
          peer.dir().resolve(FarmCa.MEMBER_KEY));
      int port = vertx.createHttpServer(identity.serverOptions())
          .requestHandler(request -> request.response().end(Buffer.buffer(OBJECT))).listen(0, "127.0.0.1").await()
          .actualPort();
      String peerUrl = "https://127.0.0.1:" + port;
      assertThrows(IOException.class, () -> replication.copy(SHA, peerUrl), "the JDK's roots alone refuse it");
      ArtifactReplication trusting = replication(ArtifactReplication.peerTrust(peer));
      assertTrue(trusting.copy(SHA, peerUrl));
      try (var in = store.open(SHA)) {
        assertArrayEquals(OBJECT, in.readAllBytes());
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void copiesWhatItLacksOnce() throws Exception {
    served.put(SHA, OBJECT);
    assertTrue(replication.copy(SHA, otherUrl));
    try (var in = store.open(SHA)) {
      assertArrayEquals(OBJECT, in.readAllBytes());
    }
    assertFalse(replication.copy(SHA, otherUrl), "held already: nothing copied");
  }

  @Test
  void keepsNothingWhoseBytesHashOtherwise() throws Exception {
    served.put(OTHER, OBJECT);
    assertThrows(IOException.class, () -> replication.copy(OTHER, otherUrl));
    assertFalse(store.exists(OTHER));
    assertEquals(0, replication.copyMissing(List.of(OTHER), "other"));
    assertFalse(store.exists(OTHER));
  }

  @Test
  void anObjectTheOtherLacksIsSkippedByTheCatchUp() throws Exception {
    served.put(SHA, OBJECT);
    assertEquals(1, replication.copyMissing(List.of(SHA, OTHER), "other"));
    assertTrue(store.exists(SHA));
  }
}
