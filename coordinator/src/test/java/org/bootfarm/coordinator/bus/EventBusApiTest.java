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

  /** The answer to {@code body} on {@code address}: a JSON object, or its text (a batch's results, ADR 0056). */
  static JsonObject request(String address, Object body) {
    Object answer = vertx.eventBus().request(address, body, FAST).await().body();
    return answer instanceof String text ? new JsonObject(text) : (JsonObject) answer;
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
  void aBatchAnswersEachSubmissionOnItsOwnInOrderAndRecordsOnlyTheAcceptedOnes() {
    List<String> before = allBuilds();
    JsonObject components = new JsonObject().put("tether", tether).put("unpack", tether);
    JsonArray submissions = new JsonArray()
        .add(new JsonObject().put("repo", "debian-12").put("components", components))
        .add(new JsonObject().put("repo", "nosuch-2").put("components", components))
        .add(new JsonObject().put("repo", "debian-12").put("components", components).put("priority", "NIGHTLY"))
        .add(new JsonObject().put("repo", "debian-12").put("components", components.copy().put("unpack",
            "0".repeat(64))));
    // as FarmClient sends a batch: its JSON text (a bridge client's JSON object is served too, BridgeServerTest)
    JsonArray results = request(Addresses.SUBMIT_MANY, new JsonObject().put("submissions", submissions).encode())
        .getJsonArray("results");
    assertEquals(4, results.size(), results::encode);
    String first = results.getJsonObject(0).getString("id");
    String third = results.getJsonObject(2).getString("id");
    assertEquals("QUEUED", request(Addresses.GET, new JsonObject().put("id", first)).getString("state"));
    assertEquals("NIGHTLY", request(Addresses.GET, new JsonObject().put("id", third)).getString("priority"));
    JsonObject unknownRepo = results.getJsonObject(1).getJsonObject("error");
    assertEquals("BAD_REQUEST", unknownRepo.getString("code"), results::encode);
    assertTrue(unknownRepo.getJsonArray("problems").getString(0).startsWith("repo: 'nosuch-2'"), results::encode);
    assertEquals(null, results.getJsonObject(1).getString("id"));
    assertTrue(results.getJsonObject(3).getJsonObject("error").encode().contains("0".repeat(64)), results::encode);
    List<String> after = allBuilds();
    assertEquals(before.size() + 2, after.size(), "exactly the two accepted submissions were recorded");
    assertTrue(after.containsAll(List.of(first, third)));
  }

  @Test
  void aBatchThatIsEmptyTooLongOrNoBatchIsRefusedWholeAndNothingQueued() {
    List<String> before = allBuilds();
    ReplyException empty = refusal(Addresses.SUBMIT_MANY, new JsonObject().put("submissions", new JsonArray()));
    assertEquals(400, empty.failureCode());
    assertTrue(empty.getMessage().contains("submissions: required, a list of 1 to 128"), empty::getMessage);
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 129; i++) {
      tooMany.add(new JsonObject().put("repo", "debian-12"));
    }
    ReplyException overLong = refusal(Addresses.SUBMIT_MANY, new JsonObject().put("submissions", tooMany));
    assertEquals(400, overLong.failureCode());
    assertTrue(overLong.getMessage().contains("129 in one message, at most 128"), overLong::getMessage);
    ReplyException single = refusal(Addresses.SUBMIT_MANY, new JsonObject().put("repo", "debian-12"));
    assertEquals(400, single.failureCode(), "a lone submit request is not a batch: " + single.getMessage());
    ReplyException nullEntry = refusal(Addresses.SUBMIT_MANY,
        new JsonObject().put("submissions", new JsonArray().add(new JsonObject().put("repo", "debian-12")).addNull()));
    assertEquals(400, nullEntry.failureCode(), nullEntry::getMessage);
    JsonArray large = new JsonArray();
    for (int i = 0; i < 100; i++) {
      large.add(new JsonObject().put("repo", "debian-12").put("options", new JsonObject().put("pad", "x".repeat(700))));
    }
    ReplyException tooLarge = refusal(Addresses.SUBMIT_MANY, new JsonObject().put("submissions", large));
    assertEquals(413, tooLarge.failureCode(), tooLarge::getMessage);
    assertEquals(before, allBuilds(), "a refused batch queued a build");
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
