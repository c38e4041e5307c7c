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
import org.bootfarm.coordinator.intake.HeartbeatConsumer;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-bus API on a real Vert.x event bus over the real stores: requests are answered, and bad
 * input (unknown repo or target, a component not in the store, malformed JSON, a body of the wrong
 * JSON type or over the size limit) is refused at once with the error, queueing nothing.
 */
@Tag("unit")
class EventBusApiTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static SqlBuildStore store;
  static ArtifactStore artifacts;
  static String tether;
  static final DeliveryOptions FAST = new DeliveryOptions().setSendTimeout(5000);

  @BeforeAll
  static void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    byte[] content = "tether".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
    BuildCoordinator coordinator = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
        new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    new EventBusApi(vertx, coordinator).register().await();
    new HeartbeatConsumer(vertx, coordinator, info -> { }, () -> false, org.bootfarm.cluster.identity.SenderCheck.UNSECURED).register().await();
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

  /** Every build the store holds, newest first: what a refused request must leave as it was. */
  static List<String> allBuilds() {
    return store.list(BuildFilter.newest(100_000)).stream().map(BuildRecord::id).toList();
  }

  /** Sends a submission that must be refused with {@code status}; checks nothing was queued; returns the error. */
  static JsonObject refusedAndNothingQueued(int status, Object body) {
    List<String> before = allBuilds();
    ReplyException e = refusal(Addresses.SUBMIT, body);
    assertEquals(status, e.failureCode(), e::getMessage);
    assertEquals(before, allBuilds(), "a refused submission queued a build");
    return new JsonObject(e.getMessage());
  }

  @Test
  void unknownRepoIsRefusedAndNothingQueued() {
    JsonObject error = refusedAndNothingQueued(400, new JsonObject().put("repo", "nosuch-1"));
    assertTrue(error.getJsonArray("problems").getString(0).startsWith("repo: 'nosuch-1'"), error::encode);
  }

  @Test
  void unknownTargetIsRefusedAndNothingQueued() {
    JsonObject error = refusedAndNothingQueued(400, new JsonObject().put("repo", "debian-12").put("target", "kernel"));
    assertTrue(error.encode().contains("target: 'kernel'"), error::encode);
    JsonObject notThisRepo = refusedAndNothingQueued(400,
        new JsonObject().put("repo", "debian-12").put("target", "appliance"));
    assertTrue(notThisRepo.encode().contains("target: this farm builds the appliance only from its appliance repo 'photon-2.0', not from 'debian-12'"), notThisRepo::encode);
  }

  @Test
  void componentHashNotInTheStoreIsRefusedAndNothingQueued() {
    String missing = "d".repeat(64);
    JsonObject error = refusedAndNothingQueued(400, new JsonObject().put("repo", "debian-12")
        .put("components", new JsonObject().put("tether", tether).put("unpack", missing)));
    assertTrue(error.encode().contains("components.unpack: " + missing), error::encode);
  }

  @Test
  void malformedJsonIsRefusedNamingWhereAndNothingQueued() {
    JsonObject error = refusedAndNothingQueued(400, "{\"repo\": ");
    assertTrue(error.getString("message").startsWith("malformed JSON"), error::encode);
  }

  @Test
  void oversizedBodyIsRefusedAndNothingQueued() {
    String filler = "y".repeat(Addresses.MAX_REQUEST_BYTES);
    JsonObject asObject = refusedAndNothingQueued(413, new JsonObject().put("repo", "debian-12")
        .put("options", new JsonObject().put("x", filler)));
    assertEquals("TOO_LARGE", asObject.getString("code"));
    refusedAndNothingQueued(413, "{\"repo\": \"debian-12\", \"options\": {\"x\": \"" + filler + "\"}}");
    // two-byte characters: under the limit in chars, over it in UTF-8 bytes
    refusedAndNothingQueued(413, new JsonObject().put("repo", "debian-12")
        .put("options", new JsonObject().put("x", "é".repeat(Addresses.MAX_REQUEST_BYTES / 2 + 1))));
    assertEquals(413, refusal(Addresses.GET, new JsonObject().put("id", "01J").put("x", filler)).failureCode());
  }

  @Test
  void submittedBuildIsRecordedAndCanBeReadAndCancelled() {
    JsonObject submitted = request(Addresses.SUBMIT, new JsonObject()
        .put("repo", "debian-12").put("components", new JsonObject().put("tether", tether).put("unpack", tether)));
    String id = submitted.getString("id");
    assertEquals("QUEUED", request(Addresses.GET, new JsonObject().put("id", id)).getString("state"));
    assertEquals("CANCELLED", request(Addresses.CANCEL, new JsonObject().put("id", id)).getString("state"));
    assertEquals(409, refusal(Addresses.CANCEL, new JsonObject().put("id", id)).failureCode());
  }

  @Test
  void bodiesOfTheWrongTypeAreRefusedAtOnceNotLeftToTimeOut() {
    for (Object wrong : List.of(new JsonArray().add("debian-12"), 42, "not json")) {
      refusedAndNothingQueued(400, wrong);
    }
    refusedAndNothingQueued(400, new JsonObject().put("repo", 7));
    assertEquals(400, refusal(Addresses.GET, new JsonObject().put("id", 12)).failureCode());
  }

  @Test
  void unknownBuildIs404() {
    assertEquals(404, refusal(Addresses.GET, new JsonObject().put("id", "01NOSUCHBUILD")).failureCode());
  }

  @Test
  void heartbeatMakesAWorkerVisible() throws Exception {
    WorkerInfo info = new WorkerInfo("bus-worker", "bus-node", "test", "x86_64", List.of("apt"), 2, 0, 1L << 30, List.of(), 1000, List.of());
    vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, new JsonObject(WireJson.write(info)));
    JsonObject workers = Eventually.value(Duration.ofSeconds(10), Duration.ofMillis(50),
        () -> request(Addresses.WORKERS, new JsonObject()), w -> w.encode().contains("bus-worker"));
    assertTrue(workers.encode().contains("bus-worker"), workers::encode);
    assertTrue(request(Addresses.PING, new JsonObject()).getBoolean("ok"));
  }
}
