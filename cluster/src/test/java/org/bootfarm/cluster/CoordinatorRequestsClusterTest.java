package org.bootfarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.bootfarm.cluster.identity.ClusterRefusals;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member with a worker certificate registers a consumer on a coordinator's address and answers in its place
 * (ADR 0064), on a real cluster over mutual TLS (two coordinators, a worker, the rogue worker): a coordinator's and a
 * worker's {@link CoordinatorRequests} never take its answers nor its refusals, count and log each, and get the
 * coordinator's answer; the request the rogue captured, sent again with its captured headers, is refused as a
 * replay, and the coordinator ran it once. A coordinator's signed messages carry a nonce each, so two alike are both
 * taken; a request only the rogue answers fails naming it, to a coordinator and to a worker.
 */
@Tag("unit")
class CoordinatorRequestsClusterTest {
  static final String API = "farm.api.pin";

  @TempDir Path dir;

  @Test
  void answersOfAMemberThatIsNoCoordinatorAreNeverTakenAndWhatItCapturedRunsOnce() throws Exception {
    FarmMembers farm = FarmMembers.of(dir, "answers");
    try (ClusterNode active = farm.first(NodeRole.COORDINATOR, "active");
        ClusterNode bridge = farm.join(NodeRole.COORDINATOR, "bridge");
        ClusterNode worker = farm.join(NodeRole.WORKER, "worker");
        ClusterNode rogue = farm.join(NodeRole.WORKER, "rogue")) {
      List<JsonObject> ran = new CopyOnWriteArrayList<>();
      active.vertx().eventBus().<JsonObject>consumer(API, m -> {
        if (active.senderCheck().fromCoordinatorOr(m, "worker", "a pin")) {
          ran.add(m.body());
          m.reply(new JsonObject().put("pinned", m.body().getString("id")).put("by", "active"));
        } else {
          m.fail(401, "refused: " + active.senderCheck().refusal(m));
        }
      }).completion().await();
      List<Message<JsonObject>> captured = new CopyOnWriteArrayList<>();
      AtomicReference<Boolean> refuse = new AtomicReference<>(false);
      var rogueConsumer = rogue.vertx().eventBus().<JsonObject>consumer(API, m -> {
        captured.add(m);
        if (refuse.get()) {
          m.fail(404, "{\"code\":\"NOT_FOUND\",\"message\":\"forged\"}");
        } else {
          m.reply(new JsonObject().put("pinned", "FORGED").put("by", "rogue"));
        }
      });
      rogueConsumer.completion().await();

      // the round-robin hands every other request to the rogue: each of its answers is refused, the request sent
      // again, and every caller gets the active coordinator's answer, the pin made once per request
      CoordinatorRequests fromBridge = bridge.coordinatorRequests();
      long refusedBefore = bridge.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);
      for (int i = 0; i < 4; i++) {
        JsonObject answer = fromBridge.<JsonObject>request(API, new JsonObject().put("id", "b" + i),
            new DeliveryOptions().setSendTimeout(10_000)).await().body();
        assertEquals(new JsonObject().put("pinned", "b" + i).put("by", "active"), answer);
      }
      refuse.set(true);
      for (int i = 4; i < 8; i++) {
        JsonObject answer = fromBridge.<JsonObject>request(API, new JsonObject().put("id", "b" + i),
            new DeliveryOptions().setSendTimeout(10_000)).await().body();
        assertEquals("active", answer.getString("by"), "a forged refusal is no answer either");
      }
      assertEquals(List.of("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"),
          ran.stream().map(b -> b.getString("id")).toList());
      assertTrue(captured.size() >= 2, "the rogue got its share: " + captured.size());
      assertEquals(refusedBefore + captured.size(), bridge.refusals().count(ClusterRefusals.Reason
          .UNAUTHENTICATED_MESSAGE), "each forged answer refused and counted once");

      // a worker's requests too: the coordinator's tagged answer is taken, the rogue's never
      refuse.set(false);
      int capturedBefore = captured.size();
      for (int i = 8; i < 12; i++) {
        JsonObject answer = worker.coordinatorRequests().<JsonObject>request(API, new JsonObject().put("id", "b" + i),
            new DeliveryOptions().setSendTimeout(10_000)).await().body();
        assertEquals("active", answer.getString("by"));
      }
      assertTrue(captured.size() > capturedBefore, "the rogue got worker requests too");
      assertTrue(worker.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE) >= 1);

      // what the rogue captured from the bridge (signed, nonce and all) it sends to the active coordinator itself:
      // the bridge's own sending again with that nonce ran first, so every copy is a replay, refused and counted
      Message<JsonObject> stolen = captured.stream().filter(m -> m.headers().contains(MessageSignatures.SIGNATURE))
          .findFirst().orElseThrow();
      assertNotNull(stolen.headers().get(MessageSignatures.NONCE));
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(stolen.headers());
      rogue.vertx().eventBus().addOutboundInterceptor((DeliveryContext<Object> context) -> {
        if (context.message().address().equals(API)) {
          context.message().headers().clear().addAll(headers);
        }
        context.next();
      });
      rogueConsumer.unregister().await();
      int ranBefore = ran.size();
      long activeRefused = active.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);
      for (int i = 0; i < 3; i++) {
        ReplyException replayed = assertThrows(ReplyException.class, () -> rogue.vertx().eventBus()
            .request(API, stolen.body()).await());
        assertEquals(401, replayed.failureCode(), replayed.getMessage());
        assertTrue(replayed.getMessage().contains("replayed: nonce " + headers.get(MessageSignatures.NONCE)
            + " of its signing process was accepted already"), replayed.getMessage());
      }
      assertEquals(ranBefore, ran.size(), "the captured request ran once, when the bridge sent it again");
      assertEquals(activeRefused + 3, active.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE));
    }
  }

  @Test
  void twoAlikeSignedMessagesAreBothTakenAndARequestOnlyImpostorsAnswerFailsNamingThem()
      throws Exception {
    FarmMembers farm = FarmMembers.of(dir, "alike");
    try (ClusterNode active = farm.first(NodeRole.COORDINATOR, "active");
        ClusterNode worker = farm.join(NodeRole.WORKER, "worker");
        ClusterNode rogue = farm.join(NodeRole.WORKER, "rogue")) {
      List<String> nonces = new CopyOnWriteArrayList<>();
      active.vertx().eventBus().<JsonObject>consumer("farm.seen", m -> {
        if (active.senderCheck().fromCoordinator(m, "a ping")) {
          nonces.add(m.headers().get(MessageSignatures.NONCE));
        }
      }).completion().await();
      active.vertx().eventBus().publish("farm.seen", new JsonObject().put("same", true));
      active.vertx().eventBus().publish("farm.seen", new JsonObject().put("same", true));
      org.bootfarm.testkit.Eventually.holds(java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(20),
          () -> nonces.size() == 2);
      assertEquals(2, nonces.size(), "both copies accepted: " + nonces);
      assertEquals(2, nonces.stream().distinct().count(), nonces::toString);

      // no coordinator serves the address: only the rogue answers, every sending, and the request fails naming it
      rogue.vertx().eventBus().<JsonObject>consumer("farm.only.rogue", m -> m.reply(new JsonObject()))
          .completion().await();
      ReplyException failed = assertThrows(ReplyException.class, () -> active.coordinatorRequests()
          .request("farm.only.rogue", new JsonObject(), new DeliveryOptions().setSendTimeout(10_000)).await());
      assertEquals(ReplyFailure.ERROR, failed.failureType());
      assertEquals(CoordinatorRequests.ANSWERED_BY_IMPOSTORS, failed.failureCode());
      assertTrue(failed.getMessage().contains("worker 'rogue'"), failed.getMessage());
      // a worker cannot check the rogue's MAC (it is meant for coordinators), yet the rogue's claim names it
      ReplyException fromWorker = assertThrows(ReplyException.class, () -> worker.coordinatorRequests()
          .request("farm.only.rogue", new JsonObject(), new DeliveryOptions().setSendTimeout(10_000)).await());
      assertEquals(CoordinatorRequests.ANSWERED_BY_IMPOSTORS, fromWorker.failureCode());
      assertTrue(fromWorker.getMessage().contains("its session is no live coordinator's but worker 'rogue''s"),
          fromWorker.getMessage());
    }
  }
}
