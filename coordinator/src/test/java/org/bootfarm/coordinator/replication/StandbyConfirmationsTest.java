package org.bootfarm.coordinator.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.bootfarm.coordinator.cas.ArtifactNotFoundException;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.cluster.identity.SignedRecords;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The active coordinator's submissions wait until a standby holds their inputs, ask once per digest and standby,
 * and neither wait without a standby nor wait again for one that let the bounded wait pass (docs/adr/0042).
 */
@Tag("unit")
class StandbyConfirmationsTest {
  private static final byte[] DEFINITION = "a pinned definition".getBytes(StandardCharsets.UTF_8);
  private static final byte[] COMPONENT = "a component".getBytes(StandardCharsets.UTF_8);
  private static final String DEFINITION_SHA = Sha256.of(DEFINITION);
  private static final String COMPONENT_SHA = Sha256.of(COMPONENT);

  @TempDir Path dir;
  private Vertx vertx;
  private HttpServer activeHttp;
  private ArtifactStore activeStore;
  private ArtifactStore standbyStore;
  private ArtifactReplication active;
  private ArtifactReplication standby;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicReference<Set<String>> live = new AtomicReference<>(Set.of("standby-1"));

  @BeforeEach
  void start() throws IOException {
    vertx = Vertx.vertx();
    activeStore = ArtifactStore.openAt(dir.resolve("active"), ArtifactStore.Options.defaults());
    standbyStore = ArtifactStore.openAt(dir.resolve("standby"), ArtifactStore.Options.defaults());
    activeStore.putOwn(DEFINITION_SHA, new java.io.ByteArrayInputStream(DEFINITION));
    activeStore.putOwn(COMPONENT_SHA, new java.io.ByteArrayInputStream(COMPONENT));
    activeHttp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    activeHttp.createContext(ArtifactStoreClient.PATH, exchange -> {
      try (exchange; InputStream in = activeStore.open(exchange.getRequestURI().getPath()
          .substring(ArtifactStoreClient.PATH.length()))) {
        byte[] body = in.readAllBytes();
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      } catch (ArtifactNotFoundException e) {
        exchange.sendResponseHeaders(404, -1);
      }
    });
    activeHttp.start();
    Map<String, String> urls = new ConcurrentHashMap<>(); // the cluster's map, as a one-JVM test has it
    active = new ArtifactReplication(vertx, activeStore, CoordinatorUrls.publish(urls, SignedRecords.UNSECURED,
        "active", "http://127.0.0.1:" + activeHttp.getAddress().getPort()), SenderCheck.UNSECURED,
        CoordinatorRequests.unsecured(vertx), null, null);
    standby = new ArtifactReplication(vertx, standbyStore, CoordinatorUrls.publish(urls, SignedRecords.UNSECURED,
        "standby-1", "http://127.0.0.1:1"), SenderCheck.UNSECURED, CoordinatorRequests.unsecured(vertx), null, null);
  }

  @AfterEach
  void stop() throws IOException {
    standby.close();
    vertx.close().await();
    activeHttp.stop(0);
    activeStore.close();
    standbyStore.close();
  }

  private double count(String name) {
    return registry.counter(name).count();
  }

  @Test
  void aSecondSubmissionOfTheSameDefinitionAsksNoStandby() {
    standby.serveHolds("standby-1").await();
    StandbyConfirmations confirmations = new StandbyConfirmations(active, live::get, registry);
    confirmations.awaitHeld("1", Set.of(DEFINITION_SHA));
    assertTrue(standbyStore.exists(DEFINITION_SHA), "the standby copied the definition before the answer");
    assertEquals(1, count("bootfarm.standby.confirmations"));
    confirmations.awaitHeld("2", Set.of(DEFINITION_SHA));
    assertEquals(1, count("bootfarm.standby.confirmations"), "confirmed already: no round trip");
    confirmations.awaitHeld("3", Set.of(DEFINITION_SHA, COMPONENT_SHA));
    assertEquals(2, count("bootfarm.standby.confirmations"), "a new component is asked for");
    assertTrue(standbyStore.exists(COMPONENT_SHA));
    assertEquals(0, count("bootfarm.submits.unreplicated"));
  }

  @Test
  void aStandbyThatLeftNoLongerCountsAsHolding() {
    standby.serveHolds("standby-1").await();
    StandbyConfirmations confirmations = new StandbyConfirmations(active, live::get, registry);
    confirmations.awaitHeld("1", Set.of(DEFINITION_SHA));
    live.set(Set.of("standby-2"));
    confirmations.awaitHeld("2", Set.of(DEFINITION_SHA));
    assertEquals(2, count("bootfarm.standby.confirmations"), "the standby that confirmed is gone: asked again");
  }

  @Test
  void aloneNothingIsAskedNorCounted() {
    live.set(Set.of());
    new StandbyConfirmations(active, live::get, registry).awaitHeld("1", Set.of(DEFINITION_SHA));
    assertEquals(0, count("bootfarm.standby.confirmations"));
    assertEquals(0, count("bootfarm.submits.unreplicated"));
    assertFalse(standbyStore.exists(DEFINITION_SHA));
  }

  @Test
  void aStandbyThatDoesNotConfirmInTimeIsCountedAndNotWaitedForAgain() {
    vertx.eventBus().consumer(ArtifactReplication.HOLD, message -> { }); // a standby that never answers
    StandbyConfirmations confirmations = new StandbyConfirmations(active, live::get, registry,
        Duration.ofMillis(300), Duration.ofSeconds(30));
    long began = System.nanoTime();
    confirmations.awaitHeld("1", Set.of(DEFINITION_SHA));
    assertTrue(System.nanoTime() - began >= Duration.ofMillis(300).toNanos(), "waited the bounded time");
    assertEquals(1, count("bootfarm.submits.unreplicated"));
    began = System.nanoTime();
    confirmations.awaitHeld("2", Set.of(COMPONENT_SHA));
    assertTrue(System.nanoTime() - began < Duration.ofMillis(200).toNanos(), "not waited for again");
    assertEquals(2, count("bootfarm.submits.unreplicated"));
    assertEquals(1, count("bootfarm.standby.confirmations"));
  }

  @Test
  void aStandbyPresentButNotServingIsCounted() {
    new StandbyConfirmations(active, live::get, registry).awaitHeld("1", Set.of(DEFINITION_SHA));
    assertEquals(1, count("bootfarm.submits.unreplicated"), "no standby holds it: accepted and counted");
  }
}
