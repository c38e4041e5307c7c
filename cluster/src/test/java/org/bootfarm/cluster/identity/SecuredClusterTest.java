package org.bootfarm.cluster.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.FarmMembers;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster whose members hold farm certificates: they talk over mutual TLS and know who sent what;
 * a Hazelcast member that only knows the cluster name, or holds another CA's certificate, is ignored,
 * counted, and can neither send to nor receive from the farm's addresses.
 */
@Tag("unit")
class SecuredClusterTest {
  @TempDir Path dir;

  @Test
  void membersOfOneCaTalkAndKnowEachOtherAndStrangersAreShutOut() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "test");
    FarmCa otherCa = FarmCa.init(dir.resolve("other-ca"), "other");
    int port = FreePorts.one();
    String cluster = "secured-" + port;
    ClusterSettings coordinatorSettings = ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", port, "",
        dir.resolve("c")).withClusterName(cluster)
        .withCredential(ca.issue(new MemberIdentity("c1", NodeRole.COORDINATOR), dir.resolve("c1")));
    try (ClusterNode coordinator = ClusterNode.start(coordinatorSettings);
        ClusterNode worker = ClusterNode.start(ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", FreePorts.one(),
            "127.0.0.1:" + port, dir.resolve("w")).withClusterName(cluster)
            .withCredential(ca.issue(new MemberIdentity("w1", NodeRole.WORKER), dir.resolve("w1"))))) {
      AtomicReference<Optional<MemberIdentity>> sender = new AtomicReference<>();
      coordinator.vertx().eventBus().<JsonObject>consumer("farm.report", m -> {
        sender.set(coordinator.signatures().sender(m));
        m.reply(new JsonObject().put("ok", true));
      }).completion().await();
      JsonObject reply = worker.vertx().eventBus().<JsonObject>request("farm.report", new JsonObject().put("x", 1))
          .await().body();
      assertEquals(true, reply.getBoolean("ok"));
      assertEquals(Optional.of(new MemberIdentity("w1", NodeRole.WORKER)), sender.get());
      assertEquals(List.of("c1", "w1"), coordinator.membership().members().stream().map(m -> m.name()).toList());

      // a process that knows only the cluster name: ignored by the membership, counted, shut out of the bus
      try (ClusterNode stranger = ClusterNode.start(ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1",
          FreePorts.one(), "127.0.0.1:" + port, dir.resolve("s")).withClusterName(cluster))) {
        assertTrue(Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY,
            () -> coordinator.refusals().count(ClusterRefusals.Reason.UNVERIFIED_MEMBER) >= 1));
        assertEquals(List.of("c1", "w1"), coordinator.membership().members().stream().map(m -> m.name()).toList());
        assertEquals(1, coordinator.membership().unverified().size());
        assertEquals(List.of("c1"), worker.membership().coordinators().stream().map(m -> m.name()).toList());
        assertThrows(RuntimeException.class, () -> stranger.vertx().eventBus()
            .request("farm.report", new JsonObject().put("forged", true), new DeliveryOptions().setSendTimeout(3000))
            .await());
        assertEquals(Optional.of(new MemberIdentity("w1", NodeRole.WORKER)), sender.get());
      }

      // a certificate of another CA: the TLS handshake fails both ways, and its claim counts for nothing
      try (ClusterNode forger = ClusterNode.start(ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", FreePorts.one(),
          "127.0.0.1:" + port, dir.resolve("f")).withClusterName(cluster)
          .withCredential(otherCa.issue(new MemberIdentity("w1", NodeRole.WORKER), dir.resolve("forged-w1"))))) {
        assertTrue(Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY,
            () -> coordinator.refusals().count(ClusterRefusals.Reason.UNVERIFIED_MEMBER) >= 2));
        assertEquals(List.of("w1"), coordinator.membership().workers().stream().map(m -> m.name()).toList());
        assertThrows(RuntimeException.class, () -> forger.vertx().eventBus()
            .request("farm.report", new JsonObject().put("forged", true), new DeliveryOptions().setSendTimeout(3000))
            .await());
        assertEquals(Optional.of(new MemberIdentity("w1", NodeRole.WORKER)), sender.get());
      }
    }
  }

  @Test
  void aWorkerSpeaksOnlyForItselfAndOnlyCoordinatorsSpeakForAnyone() throws Exception {
    FarmMembers farm = FarmMembers.of(dir, "senders");
    try (ClusterNode coordinator = farm.first(NodeRole.COORDINATOR, "c1");
        ClusterNode other = farm.join(NodeRole.WORKER, "w2");
        ClusterNode worker = farm.join(NodeRole.WORKER, "w1")) {
      SenderCheck check = coordinator.senderCheck();
      coordinator.vertx().eventBus().<JsonObject>consumer("farm.report", m -> {
        String claimed = m.body().getString("workerId");
        m.reply(new JsonObject().put("accepted", check.fromCoordinatorOr(m, claimed, "a report of " + claimed)));
      }).completion().await();
      JsonObject forWorkerOne = new JsonObject().put("workerId", "w1");
      assertEquals(true, worker.vertx().eventBus().<JsonObject>request("farm.report", forWorkerOne).await().body()
          .getBoolean("accepted"));
      assertEquals(false, other.vertx().eventBus().<JsonObject>request("farm.report", forWorkerOne).await().body()
          .getBoolean("accepted"));
      assertEquals(1, coordinator.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE));
      assertEquals(true, coordinator.vertx().eventBus().<JsonObject>request("farm.report", forWorkerOne).await()
          .body().getBoolean("accepted"));
      // only a coordinator may write to a worker's inbox
      AtomicReference<Boolean> fromCoordinator = new AtomicReference<>();
      worker.vertx().eventBus().<JsonObject>consumer("farm.inbox.w1", m -> {
        fromCoordinator.set(worker.senderCheck().fromCoordinator(m, "an inbox message"));
        m.reply("seen");
      }).completion().await();
      other.vertx().eventBus().request("farm.inbox.w1", new JsonObject()).await();
      assertEquals(false, fromCoordinator.get());
      coordinator.vertx().eventBus().request("farm.inbox.w1", new JsonObject()).await();
      assertEquals(true, fromCoordinator.get());
    }
  }
  /**
   * A coordinator's signed message (ADR 0064): taken once; the same message sent again by a worker that captured it
   * (it consumes the address too) is refused as a replay, and with its nonce changed or stripped its signature no
   * longer verifies. Each refusal is counted; the receiver kept the coordinator's message once.
   */
  @Test
  void aCoordinatorsSignedMessageIsTakenOnceWhoeverSendsItAgain() throws Exception {
    FarmMembers farm = FarmMembers.of(dir, "replays");
    try (ClusterNode coordinator = farm.first(NodeRole.COORDINATOR, "c1");
        ClusterNode insider = farm.join(NodeRole.WORKER, "w2");
        ClusterNode worker = farm.join(NodeRole.WORKER, "w1")) {
      List<JsonObject> kept = new CopyOnWriteArrayList<>();
      AtomicReference<String> why = new AtomicReference<>();
      worker.vertx().eventBus().<JsonObject>consumer("farm.cancel", m -> {
        if (worker.senderCheck().fromCoordinator(m, "a cancel")) {
          kept.add(m.body());
        }
        why.set(worker.signatures().check(m).refusal());
        m.reply("seen");
      }).completion().await();
      AtomicReference<MultiMap> captured = new AtomicReference<>();
      var listening = insider.vertx().eventBus().<JsonObject>consumer("farm.cancel", m -> captured.set(
          MultiMap.caseInsensitiveMultiMap().addAll(m.headers())));
      listening.completion().await();
      JsonObject cancel = new JsonObject().put("buildId", "b-1");
      coordinator.vertx().eventBus().publish("farm.cancel", cancel);
      assertTrue(Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY,
          () -> kept.size() == 1 && captured.get() != null));
      listening.unregister().await(); // from now on the insider's sends go to the worker alone
      MultiMap genuine = captured.get();
      String nonce = genuine.get(MessageSignatures.NONCE);
      assertTrue(nonce != null && nonce.matches("\\d+"), "a signed message carries a nonce: " + genuine);

      AtomicReference<Consumer<MultiMap>> tamper = new AtomicReference<>();
      insider.vertx().eventBus().addOutboundInterceptor((DeliveryContext<Object> c) -> {
        tamper.get().accept(c.message().headers());
        c.next();
      });
      long refused = worker.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);
      tamper.set(h -> h.clear().addAll(genuine));
      insider.vertx().eventBus().request("farm.cancel", cancel).await();
      assertTrue(String.valueOf(why.get()).startsWith("replayed: nonce " + nonce + " of its signing process was"
          + " accepted already"), "the captured message sent again was taken: " + kept);
      tamper.set(h -> h.clear().addAll(genuine).set(MessageSignatures.NONCE, "999999"));
      insider.vertx().eventBus().request("farm.cancel", cancel).await();
      assertTrue(why.get().contains("signature does not verify"), why.get());
      tamper.set(h -> h.clear().addAll(genuine).remove(MessageSignatures.NONCE));
      insider.vertx().eventBus().request("farm.cancel", cancel).await();
      assertTrue(why.get().contains("signature does not verify"), why.get());
      assertEquals(List.of(cancel), kept, "the coordinator's message kept once");
      assertEquals(refused + 3, worker.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE));
    }
  }
}
