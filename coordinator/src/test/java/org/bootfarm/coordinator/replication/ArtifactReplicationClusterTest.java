package org.bootfarm.coordinator.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.FarmMembers;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.ClusterRefusals;
import org.bootfarm.coordinator.cas.ArtifactNotFoundException;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators replicate over a real cluster with certificates (ADR 0064): a member with a worker certificate
 * asks for copies from a listener it controls (a fetch, a stored announcement, a hold, naming the listener and
 * naming a real coordinator), and a coordinator names a URL it did not seal or another coordinator's entry; each is
 * refused and counted, no request reaches the listener, and neither store changes. A coordinator's own announcement
 * is copied from the URL it sealed in the coordinators' map.
 */
@Tag("unit")
class ArtifactReplicationClusterTest {
  private static final byte[] OBJECT = "an upload of the active coordinator".getBytes(StandardCharsets.UTF_8);
  private static final String SHA = Sha256.of(OBJECT);
  /** What the active coordinator lacks: a copy of it would be fetched. */
  private static final String MISSING = Sha256.of("held by no one".getBytes(StandardCharsets.UTF_8));
  private static final String TOKEN = "the-coordinators-token-0123456789";

  @TempDir Path dir;

  @Test
  void copiesComeOnlyFromTheUrlTheAskingCoordinatorSealedForItself() throws Exception {
    FarmMembers farm = FarmMembers.of(dir, "replication");
    List<String> heard = new CopyOnWriteArrayList<>();
    HttpServer listener = serve(null, heard);
    String trap = "http://127.0.0.1:" + listener.getAddress().getPort();
    try (ClusterNode one = farm.first(NodeRole.COORDINATOR, "c1");
        ClusterNode two = farm.join(NodeRole.COORDINATOR, "c2");
        ClusterNode insider = farm.join(NodeRole.WORKER, "w-insider");
        ArtifactStore activeStore = ArtifactStore.openAt(dir.resolve("active"), ArtifactStore.Options.defaults());
        ArtifactStore standbyStore = ArtifactStore.openAt(dir.resolve("standby"), ArtifactStore.Options.defaults())) {
      activeStore.putOwn(SHA, new ByteArrayInputStream(OBJECT));
      HttpServer activeHttp = serve(activeStore, new CopyOnWriteArrayList<>());
      HttpServer standbyHttp = serve(standbyStore, new CopyOnWriteArrayList<>());
      ArtifactReplication active = replication(one, activeStore, activeHttp);
      ArtifactReplication standby = replication(two, standbyStore, standbyHttp);
      try {
        active.start().await();
        standby.start().await();
        active.serveFetches().await();
        standby.serveHolds(two.nodeId()).await();
        long activeRefused = one.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);
        long standbyRefused = two.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);

        // the insider, naming its listener and naming the active coordinator's real entry
        for (JsonObject names : List.of(new JsonObject().put("source", trap),
            new JsonObject().put("coordinator", one.nodeId()).put("source", trap))) {
          ReplyException fetch = assertThrows(ReplyException.class, () -> insider.vertx().eventBus()
              .request(ArtifactReplication.FETCH, names.copy().put("sha256", SHA), timeout()).await());
          assertEquals(403, fetch.failureCode(), fetch.getMessage());
          ReplyException hold = assertThrows(ReplyException.class, () -> insider.vertx().eventBus()
              .request(ArtifactReplication.HOLD, names.copy().put("sha256s", new JsonArray().add(SHA)), timeout())
              .await());
          assertEquals(403, hold.failureCode(), hold.getMessage());
          insider.vertx().eventBus().publish(ArtifactReplication.STORED, names.copy().put("sha256", SHA));
        }
        // a coordinator naming a URL it did not seal (as one of an earlier version does), or the other one's entry
        ReplyException claimed = assertThrows(ReplyException.class, () -> two.vertx().eventBus()
            .request(ArtifactReplication.FETCH, new JsonObject().put("sha256", MISSING).put("source", trap),
                timeout()).await());
        assertEquals(502, claimed.failureCode(), claimed.getMessage());
        assertTrue(claimed.getMessage().contains("nothing is fetched from a URL a message names"),
            claimed.getMessage());
        ReplyException others = assertThrows(ReplyException.class, () -> two.vertx().eventBus()
            .request(ArtifactReplication.FETCH, new JsonObject().put("sha256", MISSING)
                .put("coordinator", one.nodeId()), timeout()).await());
        assertEquals(502, others.failureCode(), others.getMessage());

        // counted once each: at the active one 2 fetches, the announcement naming the listener (the one naming the
        // active coordinator itself is its own, ignored) and the two of coordinator c2; at the standby 2 holds and
        // 2 announcements
        assertTrue(Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY,
            () -> two.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE) == standbyRefused + 4
                && one.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE) == activeRefused + 5));
        assertEquals(List.of(), heard, "no request reached the listener, with or without the coordinators' token");
        assertFalse(standbyStore.exists(SHA), "the standby copied nothing");
        assertFalse(activeStore.exists(MISSING));

        // the active coordinator's own announcement: copied from the URL it sealed
        active.announce(new ArtifactStore.PutResult(SHA, OBJECT.length, true));
        assertTrue(Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY, () -> standbyStore.exists(SHA)));
        assertEquals(List.of(), heard);
      } finally {
        active.close();
        standby.close();
        activeHttp.stop(0);
        standbyHttp.stop(0);
      }
    } finally {
      listener.stop(0);
    }
  }

  private static DeliveryOptions timeout() {
    return new DeliveryOptions().setSendTimeout(10_000);
  }

  /** The replication of {@code node}, its store served at {@code http}, its URL sealed in the cluster's map. */
  private static ArtifactReplication replication(ClusterNode node, ArtifactStore store, HttpServer http) {
    CoordinatorUrls urls = CoordinatorUrls.publish(node.hazelcast().getMap(CoordinatorUrls.MAP), node.signedRecords(),
        node.nodeId(), "http://127.0.0.1:" + http.getAddress().getPort());
    return new ArtifactReplication(node.vertx(), store, urls, node.senderCheck(), node.coordinatorRequests(), TOKEN,
        null);
  }

  /** An artifact store's HTTP side for {@code store} (null: a listener answering 404), noting each request. */
  private static HttpServer serve(ArtifactStore store, List<String> heard) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      heard.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " Authorization="
          + exchange.getRequestHeaders().getFirst("Authorization"));
      String path = exchange.getRequestURI().getPath();
      try (exchange; InputStream in = store == null || !path.startsWith(ArtifactStoreClient.PATH) ? null
          : store.open(path.substring(ArtifactStoreClient.PATH.length()))) {
        if (in == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        byte[] body = in.readAllBytes();
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      } catch (ArtifactNotFoundException e) {
        exchange.sendResponseHeaders(404, -1);
      }
    });
    server.start();
    return server;
  }
}
