package org.bootfarm.coordinator.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqliteBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-bus API on a real Vert.x event bus over the real stores: requests are answered, and a
 * body of the wrong JSON type is refused with a 400 failure instead of leaving the client to time out.
 */
class EventBusApiTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static SqliteBuildStore store;
  static ArtifactStore artifacts;
  static String tether;
  static final DeliveryOptions FAST = new DeliveryOptions().setSendTimeout(5000);

  @BeforeAll
  static void start() throws Exception {
    store = SqliteBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    byte[] content = "tether".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
    BuildCoordinator coordinator = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
        new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    new EventBusApi(vertx, coordinator).register().await();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  static JsonObject request(String address, Object body) {
    return (JsonObject) vertx.eventBus().request(address, body, FAST).await().body();
  }

  static ReplyException refusal(String address, Object body) {
    return assertThrows(ReplyException.class, () -> vertx.eventBus().request(address, body, FAST).await());
  }

  @Test
  void submittedBuildIsRecordedAndCanBeReadAndCancelled() {
    JsonObject submitted = request(Addresses.SUBMIT, new JsonObject()
        .put("repo", "debian-12").put("components", new JsonObject().put("tether", tether)));
    String id = submitted.getString("id");
    assertEquals("QUEUED", request(Addresses.GET, new JsonObject().put("id", id)).getString("state"));
    assertEquals("CANCELLED", request(Addresses.CANCEL, new JsonObject().put("id", id)).getString("state"));
    assertEquals(409, refusal(Addresses.CANCEL, new JsonObject().put("id", id)).failureCode());
  }

  @Test
  void bodiesOfTheWrongTypeAreRefusedAtOnceNotLeftToTimeOut() {
    for (Object wrong : List.of(new JsonArray().add("debian-12"), 42, "not json")) {
      ReplyException e = refusal(Addresses.SUBMIT, wrong);
      assertEquals(400, e.failureCode(), () -> "body " + wrong + ": " + e.getMessage());
    }
    ReplyException wrongField = refusal(Addresses.SUBMIT, new JsonObject().put("repo", 7));
    assertEquals(400, wrongField.failureCode());
    assertEquals(400, refusal(Addresses.GET, new JsonObject().put("id", 12)).failureCode());
  }

  @Test
  void refusalCarriesTheApiErrorNamingTheProblem() {
    ReplyException e = refusal(Addresses.SUBMIT, new JsonObject().put("repo", "nosuch-1"));
    JsonObject error = new JsonObject(e.getMessage());
    assertEquals("BAD_REQUEST", error.getString("code"));
    assertTrue(error.getJsonArray("problems").getString(0).startsWith("repo: 'nosuch-1'"), error::encode);
    assertEquals(404, refusal(Addresses.GET, new JsonObject().put("id", "01NOSUCHBUILD")).failureCode());
  }

  @Test
  void heartbeatMakesAWorkerVisible() throws Exception {
    WorkerInfo info = new WorkerInfo("bus-worker", "bus-node", "test", "x86_64", List.of("apt"), 2, 0, 1L << 30, List.of(), 1000, List.of());
    vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, new JsonObject(WireJson.write(info)));
    JsonObject workers = new JsonObject();
    for (int i = 0; i < 50 && !workers.encode().contains("bus-worker"); i++) {
      Thread.sleep(50);
      workers = request(Addresses.WORKERS, new JsonObject());
    }
    assertTrue(workers.encode().contains("bus-worker"), workers::encode);
    assertTrue(request(Addresses.PING, new JsonObject()).getBoolean("ok"));
  }
}
