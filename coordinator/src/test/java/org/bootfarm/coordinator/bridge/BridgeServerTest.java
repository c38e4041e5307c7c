package org.bootfarm.coordinator.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.coordinator.access.LiveTokens;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.bus.EventBusApi;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCP bridge in front of the real event-bus API and stores, driven with raw frames: a client
 * with a token submits and follows builds; every bad frame is answered with an error, changes
 * nothing, and leaves the connection answering pings; repeated token failures close it; a token
 * deleted from the file stops working without a restart.
 */
@Tag("unit")
class BridgeServerTest {
  static final String TOKEN = "alice-token-0123456789abcdef";
  static final String OTHER = "bob-token-0123456789abcdef00";
  static final String VIEWER = "viewer-token-0123456789abcdef";
  static final String OPS = "ops-token-0123456789abcdef0000";
  static ApiRefusals refusals;

  @TempDir static Path dir;
  static Vertx vertx;
  static SqlBuildStore store;
  static ArtifactStore artifacts;
  static BridgeServer bridge;
  static Path tokensFile;
  static String tether;

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
    tokensFile = dir.resolve("tokens");
    Files.writeString(tokensFile, "# clients of the test farm\nalice " + TOKEN + "\nbob   " + OTHER + "\nviewer "
        + VIEWER + " read\nops " + OPS + " admin\n");
    refusals = new ApiRefusals(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    bridge = BridgeServer.start(vertx, BridgeServer.Settings.loopback(0, tokensFile).withMaxFrameBytes(4096),
        LiveTokens.watch(vertx, tokensFile), refusals, org.bootfarm.cluster.CoordinatorRequests.unsecured(vertx))
        .await();
  }

  @AfterAll
  static void stop() throws Exception {
    bridge.close().await();
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  static JsonObject headers(String token) {
    return new JsonObject().put("token", token);
  }

  static JsonObject send(String address, Object body, String token) {
    return new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r-" + address)
        .put("headers", headers(token)).put("body", body);
  }

  static JsonObject ping(String token) {
    return new JsonObject().put("type", "ping").put("headers", headers(token));
  }

  static JsonObject submission() {
    return new JsonObject().put("repo", "debian-12").put("components", new JsonObject().put("tether", tether).put("unpack", tether));
  }

  static int builds() {
    return store.list(new BuildFilter(null, null, 10_000)).size();
  }

  @Test
  void aClientWithATokenSubmitsAndReadsItsBuild() throws Exception {
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      client.send(ping(TOKEN));
      assertEquals("pong", client.read().getString("type"));
      client.send(send(Addresses.SUBMIT, submission(), TOKEN));
      JsonObject reply = client.read();
      assertEquals("message", reply.getString("type"), reply::encode);
      assertEquals("r-" + Addresses.SUBMIT, reply.getString("address"));
      String id = reply.getJsonObject("body").getString("id");
      client.send(send(Addresses.GET, new JsonObject().put("id", id), OTHER));
      JsonObject build = client.read().getJsonObject("body");
      assertEquals("QUEUED", build.getString("state"), build::encode);
    }
  }

  @Test
  void aTokenWhoseRoleIsTooSmallIsRefusedByTheBridgeNamingBothRolesAndCounted() throws Exception {
    int before = builds();
    double forbidden = refusals.counted(ApiRefusals.Interface.BRIDGE, ApiRefusals.Reason.FORBIDDEN);
    double unauthenticated = refusals.counted(ApiRefusals.Interface.BRIDGE, ApiRefusals.Reason.UNAUTHENTICATED);
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      client.send(send(Addresses.SUBMIT, submission(), VIEWER));
      JsonObject err = client.read();
      assertEquals(403, err.getInteger("failureCode"), err::encode);
      assertTrue(err.getJsonObject("error").getString("message").startsWith("client 'viewer' has role read;"
          + " submitting needs submit"), err::encode);
      // several at once need what one needs: a read token cannot submit by batching either
      client.send(send(Addresses.SUBMIT_MANY, new JsonObject().put("submissions",
          new io.vertx.core.json.JsonArray().add(submission()).add(submission())), VIEWER));
      JsonObject many = client.read();
      assertEquals(403, many.getInteger("failureCode"), many::encode);
      assertTrue(many.getJsonObject("error").getString("message").startsWith("client 'viewer' has role read;"
          + " submitting needs submit"), many::encode);
      client.send(send(Addresses.PIN, new JsonObject().put("id", "x").put("reason", "r"), TOKEN));
      JsonObject pin = client.read();
      assertEquals(403, pin.getInteger("failureCode"), pin::encode);
      assertTrue(pin.getJsonObject("error").getString("message").contains("pinning needs admin"), pin::encode);
      client.send(send(Addresses.REPOS, new JsonObject(), VIEWER));
      assertEquals("message", client.read().getString("type"), "a read token reads");
      client.send(send(Addresses.REPOS, new JsonObject(), "wrong-token-0123456789abcdef"));
      assertEquals(401, client.read().getInteger("failureCode"));
    }
    assertEquals(before, builds());
    assertEquals(forbidden + 3, refusals.counted(ApiRefusals.Interface.BRIDGE, ApiRefusals.Reason.FORBIDDEN));
    assertEquals(unauthenticated + 1,
        refusals.counted(ApiRefusals.Interface.BRIDGE, ApiRefusals.Reason.UNAUTHENTICATED));
  }

  @Test
  void aBatchThroughTheBridgeRecordsEachBuildForTheTokensClient() throws Exception {
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      client.send(send(Addresses.SUBMIT_MANY, new JsonObject().put("submissions",
          new io.vertx.core.json.JsonArray().add(submission()).add(submission())), TOKEN));
      JsonObject reply = client.read();
      io.vertx.core.json.JsonArray results = reply.getJsonObject("body").getJsonArray("results");
      assertEquals(2, results.size(), reply::encode);
      for (int i = 0; i < 2; i++) {
        client.send(send(Addresses.GET, new JsonObject().put("id", results.getJsonObject(i).getString("id")), VIEWER));
        assertEquals("alice", client.read().getJsonObject("body").getString("submittedBy"));
      }
    }
  }

  @Test
  void aBuildRecordsTheBridgeClientThatSubmittedItAndOnlyItOrAnAdminCancelsIt() throws Exception {
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      client.send(send(Addresses.SUBMIT, submission(), TOKEN));
      String id = client.read().getJsonObject("body").getString("id");
      client.send(send(Addresses.GET, new JsonObject().put("id", id), VIEWER));
      assertEquals("alice", client.read().getJsonObject("body").getString("submittedBy"));
      client.send(send(Addresses.CANCEL, new JsonObject().put("id", id), OTHER));
      JsonObject refused = client.read();
      assertEquals(403, refused.getInteger("failureCode"), refused::encode);
      assertTrue(refused.getString("message").contains("was submitted by 'alice'"), refused::encode);
      client.send(send(Addresses.CANCEL, new JsonObject().put("id", id), OPS));
      assertEquals("CANCELLED", client.read().getJsonObject("body").getString("state"));
    }
  }

  @Test
  void aRefusalOfTheCoordinatorArrivesAsAnErrorFrameWithItsApiError() throws Exception {
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      client.send(send(Addresses.SUBMIT, new JsonObject().put("repo", "no-such-repo"), TOKEN));
      JsonObject err = client.read();
      assertEquals("err", err.getString("type"), err::encode);
      assertEquals("r-" + Addresses.SUBMIT, err.getString("address"));
      assertEquals(400, err.getInteger("failureCode"));
      assertTrue(err.getString("message").contains("no-such-repo"), err::encode);
    }
  }

  @Test
  void everyBadFrameIsAnsweredChangesNothingAndTheConnectionStillAnswersPing() throws Exception {
    int before = builds();
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort());
        FrameSocket bystander = FrameSocket.connect(bridge.actualPort())) {
      List<Object[]> bad = List.of(
          new Object[] {send(Addresses.SUBMIT, submission(), null).put("headers", new JsonObject()), "access_denied"},
          new Object[] {send(Addresses.SUBMIT, submission(), "not-a-valid-token-at-all"), "access_denied"},
          new Object[] {send(Addresses.REPORT, new JsonObject(), TOKEN), "access_denied"},
          new Object[] {send(Addresses.workerInbox("w1"), new JsonObject(), TOKEN), "access_denied"},
          new Object[] {send(Addresses.SUBMIT, submission(), TOKEN).put("type", "publish"), "access_denied"},
          new Object[] {send(Addresses.SUBMIT, submission(), TOKEN).put("type", "explode"), "unknown_type"},
          new Object[] {send(Addresses.SUBMIT, submission(), TOKEN).put("type", 42), "unknown_type"},
          new Object[] {send(Addresses.SUBMIT, new JsonArray().add(submission()), TOKEN), "invalid_body"},
          new Object[] {send(Addresses.SUBMIT, "debian-12", TOKEN), "invalid_body"},
          new Object[] {send(Addresses.SUBMIT, submission().put("pad", "x".repeat(5000)), TOKEN), "frame_too_large"});
      for (Object[] frame : bad) {
        client.send((JsonObject) frame[0]);
        JsonObject err = client.read();
        assertEquals("err", err.getString("type"), err::encode);
        assertEquals(frame[1], err.getString("message"), () -> frame[0] + " -> " + err.encode());
        assertNotNull(err.getJsonObject("error").getString("message"), err::encode);
      }
      client.sendRaw("{not json".getBytes(StandardCharsets.UTF_8));
      assertEquals("invalid_json", client.read().getString("message"));
      client.sendRaw("[1,2]".getBytes(StandardCharsets.UTF_8));
      assertEquals("invalid_json", client.read().getString("message"));

      client.send(ping(TOKEN));
      assertEquals("pong", client.read().getString("type"), "the same connection is still served");
      bystander.send(ping(OTHER));
      assertEquals("pong", bystander.read().getString("type"), "and so is every other");
    }
    assertEquals(before, builds(), "no refused frame queued anything");
  }

  @Test
  void repeatedTokenFailuresCloseTheConnectionAndOnlyThatOne() throws Exception {
    try (FrameSocket attacker = FrameSocket.connect(bridge.actualPort());
        FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      for (int i = 0; i < 4; i++) {
        attacker.send(ping("guess-" + i + "-0123456789abcdef"));
        assertEquals("access_denied", attacker.read().getString("message"));
      }
      attacker.send(ping("guess-last-0123456789abcdef"));
      JsonObject last = attacker.read();
      assertTrue(last.getJsonObject("error").getString("message").contains("closing"), last::encode);
      assertTrue(attacker.closedByServer());
      client.send(ping(TOKEN));
      assertEquals("pong", client.read().getString("type"));
    }
  }

  @Test
  void aClientFollowsABuildsEventsButCannotListenOnTheApiAddresses() throws Exception {
    String events = Addresses.buildEvents("b-follow-1");
    try (FrameSocket client = FrameSocket.connect(bridge.actualPort())) {
      client.send(new JsonObject().put("type", "register").put("address", Addresses.SUBMIT)
          .put("headers", headers(TOKEN)));
      assertEquals("access_denied", client.read().getString("message"));
      client.send(new JsonObject().put("type", "register").put("address", events).put("headers", headers(TOKEN)));
      client.send(ping(TOKEN));
      assertEquals("pong", client.read().getString("type"), "registered before the ping was answered");
      vertx.eventBus().publish(events, new JsonObject().put("kind", "LOG").put("text", "hello"));
      JsonObject message = client.read();
      assertEquals(events, message.getString("address"), message::encode);
      assertEquals("hello", message.getJsonObject("body").getString("text"));
    }
  }

  @Test
  void aTokenDeletedFromTheFileStopsWorkingWithoutARestart() throws Exception {
    Path file = dir.resolve("revocable-tokens");
    String carol = "carol-token-0123456789abcdef";
    Files.writeString(file, "carol " + carol + "\ndave dave-token-0123456789abcdef\n");
    BridgeServer second = BridgeServer.start(vertx, BridgeServer.Settings.loopback(0, file)).await();
    try (FrameSocket client = FrameSocket.connect(second.actualPort())) {
      client.send(ping(carol));
      assertEquals("pong", client.read().getString("type"));
      Files.writeString(file, "dave dave-token-0123456789abcdef\n");
      Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 1000));
      String answer = Eventually.value(Duration.ofSeconds(10), Duration.ofMillis(200), () -> {
        client.send(ping(carol));
        JsonObject reply = client.read();
        return reply.getString("type").equals("pong") ? "pong" : reply.getString("message");
      }, reply -> !reply.equals("pong"));
      assertEquals("access_denied", answer, "carol's token is refused on her open connection");
    } finally {
      second.close().await();
    }
  }
}
