package org.bootfarm.cluster.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.FarmMembers;
import org.bootfarm.cluster.NodeRole;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers' messages to coordinators carry a MAC per live coordinator instead of a signature, and the
 * coordinator's reply a MAC for the requester (ADR 0050), on a real cluster of two coordinators and two workers over mutual TLS: a legitimate report is accepted
 * once, and a replayed one, a duplicated or too old sequence number, a MAC meant for the other
 * coordinator or made in another worker's session, a message with its MAC stripped, a worker speaking
 * for another worker or writing to a worker's inbox as a coordinator are each refused, counted, and never
 * reach what the coordinator keeps. A worker plays the attacker by rewriting its own outgoing headers.
 */
@Tag("unit")
class SessionMacClusterTest {
  @TempDir Path dir;

  /** What one coordinator accepted and why it refused the last message it refused. */
  private record Desk(List<JsonObject> accepted, AtomicReference<MultiMap> lastHeaders, AtomicReference<String> why) {}

  @Test
  void workersTagTheirMessagesAndEveryForgeryReplayAndDowngradeIsRefused() throws Exception {
    FarmMembers farm = FarmMembers.of(dir, "macs");
    String cluster = farm.cluster();
    try (ClusterNode c1 = farm.first(NodeRole.COORDINATOR, "c1");
        ClusterNode c2 = farm.join(NodeRole.COORDINATOR, "c2");
        ClusterNode w2 = farm.join(NodeRole.WORKER, "w2");
        ClusterNode w1 = farm.join(NodeRole.WORKER, "w1")) {
      Desk one = desk(c1, "farm.report.c1");
      Desk two = desk(c2, "farm.report.c2");
      AtomicReference<Consumer<DeliveryContext<Object>>> tamper = new AtomicReference<>(c -> {});
      w1.vertx().eventBus().addOutboundInterceptor((DeliveryContext<Object> context) -> {
        tamper.get().accept(context);
        context.next();
      });

      // a worker's report: a tag for each coordinator, no signature, no 1 KiB signer header; accepted once;
      // the coordinator's reply carries one tag, for w1 alone, and w1 knows it came from c1
      Message<JsonObject> answer = w1.vertx().eventBus().<JsonObject>request("farm.report.c1",
          new JsonObject().put("workerId", "w1").put("n", 1)).await();
      assertTrue(answer.body().getBoolean("accepted"));
      assertNull(answer.headers().get(MessageSignatures.SIGNATURE));
      assertEquals(MessageMacs.keyId(w1.settings().credential().sessionPublicKey()),
          answer.headers().get(MessageMacs.MAC).split("=")[0]);
      MemberIdentity coordinatorOne = new MemberIdentity("c1", NodeRole.COORDINATOR);
      assertEquals(Optional.of(coordinatorOne), w1.signatures().sender(answer));
      assertEquals(Optional.of(coordinatorOne), w1.signatures().sender(answer), "asked twice, the same answer");
      assertTrue(w2.signatures().check(answer).refusal().contains("no MAC for this node"),
          "w1's reply is no message of c1's to w2");
      MultiMap genuine = one.lastHeaders().get();
      assertNull(genuine.get(MessageSignatures.SIGNATURE));
      assertNull(genuine.get(MessageSignatures.SIGNER));
      assertEquals(2, genuine.get(MessageMacs.MAC).split(",").length, genuine.get(MessageMacs.MAC));
      assertTrue(genuine.get(MessageMacs.MAC).length() + genuine.get(MessageMacs.SESSION).length() < 120);
      assertTrue(report(w1, "farm.report.c2", "w1", 2));
      MultiMap toTwo = two.lastHeaders().get();
      long refused = c1.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);

      // the same message again, headers and all: a replay
      tamper.set(c -> replace(c.message().headers(), genuine));
      assertFalse(report(w1, "farm.report.c1", "w1", 1));
      assertTrue(one.why().get().startsWith("replayed:"), one.why().get());

      // c2's message re-addressed to c1: c1's tag covered c2's address
      tamper.set(c -> replace(c.message().headers(), toTwo));
      assertFalse(report(w1, "farm.report.c1", "w1", 2));
      assertTrue(one.why().get().contains("does not verify"), one.why().get());

      // only the tag meant for c2 left; then c2's tag under c1's name
      String c1Id = MessageMacs.keyId(c1.settings().credential().sessionPublicKey());
      String c2Id = MessageMacs.keyId(c2.settings().credential().sessionPublicKey());
      tamper.set(c -> c.message().headers().set(MessageMacs.MAC,
          MessageMacs.entry(c.message().headers().get(MessageMacs.MAC), c2Id).map(t -> c2Id + "=" + t).orElseThrow()));
      assertFalse(report(w1, "farm.report.c1", "w1", 3));
      assertTrue(one.why().get().contains("no MAC for this coordinator"), one.why().get());
      tamper.set(c -> c.message().headers().set(MessageMacs.MAC,
          MessageMacs.entry(c.message().headers().get(MessageMacs.MAC), c2Id).map(t -> c1Id + "=" + t).orElseThrow()));
      assertFalse(report(w1, "farm.report.c1", "w1", 4));
      assertTrue(one.why().get().contains("does not verify"), one.why().get());

      // w1's tags under w2's session: w1 cannot make w2's key, so it cannot speak in w2's session
      tamper.set(c -> c.message().headers().set(MessageMacs.SESSION, w2.settings().credential().sessionPublicKey()));
      assertFalse(report(w1, "farm.report.c1", "w2", 5));
      assertTrue(one.why().get().contains("does not verify"), one.why().get());

      // the MAC stripped: a message with neither MAC nor signature
      tamper.set(c -> List.of(MessageMacs.MAC, MessageMacs.SESSION, MessageMacs.SEQUENCE)
          .forEach(c.message().headers()::remove));
      assertFalse(report(w1, "farm.report.c1", "w1", 6));
      assertTrue(one.why().get().contains("unsigned"), one.why().get());


      tamper.set(c -> {});
      // a worker speaks only for itself, and a MAC makes no one a coordinator on a worker's inbox
      assertFalse(report(w1, "farm.report.c1", "w2", 10));
      AtomicReference<Boolean> fromCoordinator = new AtomicReference<>();
      w2.vertx().eventBus().<JsonObject>consumer("farm.inbox.w2", m -> {
        fromCoordinator.set(w2.senderCheck().fromCoordinator(m, "an inbox message"));
        m.reply("seen");
      }).completion().await();
      w1.vertx().eventBus().request("farm.inbox.w2", new JsonObject()).await();
      assertEquals(false, fromCoordinator.get());
      assertEquals(1, w2.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE));
      c1.vertx().eventBus().request("farm.inbox.w2", new JsonObject()).await();
      assertEquals(true, fromCoordinator.get(), "a coordinator's message (signed) still reaches the inbox");

      // w1 makes valid tags with its own key for sequence numbers of its choice: a jump is fine, a duplicate
      // or a number that fell out of the window is not (and w1's own later numbers now are: it hurt only itself)
      MemberCredential w1Key = w1.settings().credential();
      String c1Key = c1.settings().credential().sessionPublicKey();
      byte[] key = MessageMacs.messageKey(w1Key.agree(Base64.getDecoder().decode(c1Key)), cluster,
          w1Key.sessionPublicKey(), c1Key);
      AtomicReference<Long> sequence = new AtomicReference<>();
      tamper.set(c -> {
        MultiMap h = c.message().headers();
        String number = Long.toString(sequence.get());
        h.set(MessageMacs.SEQUENCE, number);
        h.set(MessageMacs.MAC, c1Id + "=" + MessageMacs.tag(key, number, w1Key.sessionPublicKey(), c1Id,
            MessageSignatures.signed(c.message().address(), h.get(MessageSignatures.SENT), h, c.body())));
      });
      sequence.set(1_000_000L);
      assertTrue(report(w1, "farm.report.c1", "w1", 7), "a valid tag for a new, higher number");
      assertFalse(report(w1, "farm.report.c1", "w1", 8));
      assertTrue(one.why().get().contains("accepted already"), one.why().get());
      sequence.set(1_000_000L - ReplayWindow.SIZE);
      assertFalse(report(w1, "farm.report.c1", "w1", 9));
      assertTrue(one.why().get().contains("behind the newest"), one.why().get());
      tamper.set(c -> {});

      // coordinators still sign: c1's report to c2 carries a signature and no MAC
      assertTrue(report(c1, "farm.report.c2", "w1", 11));
      assertNull(two.lastHeaders().get().get(MessageMacs.MAC));
      assertTrue(two.lastHeaders().get().contains(MessageSignatures.SIGNATURE));

      assertEquals(List.of(1, 7), one.accepted().stream().map(b -> b.getInteger("n")).toList(),
          "c1 kept only the genuine report and the worker's own fresh number");
      assertEquals(List.of(2, 11), two.accepted().stream().map(b -> b.getInteger("n")).toList());
      assertEquals(refused + 9, c1.refusals().count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE));
    }
  }

  /** A coordinator's report consumer on {@code address}: a worker's report for itself, or anyone's from a coordinator. */
  private static Desk desk(ClusterNode coordinator, String address) {
    Desk desk = new Desk(new CopyOnWriteArrayList<>(), new AtomicReference<>(), new AtomicReference<>());
    SenderCheck check = coordinator.senderCheck();
    coordinator.vertx().eventBus().<JsonObject>consumer(address, m -> {
      String claimed = m.body().getString("workerId");
      boolean accepted = check.fromCoordinatorOr(m, claimed, "a report of " + claimed);
      desk.why().set(coordinator.signatures().check(m).refusal());
      if (accepted) {
        desk.accepted().add(m.body());
        desk.lastHeaders().set(MultiMap.caseInsensitiveMultiMap().addAll(m.headers()));
      }
      m.reply(new JsonObject().put("accepted", accepted));
    }).completion().await();
    return desk;
  }

  private static boolean report(ClusterNode from, String address, String worker, int n) {
    return from.vertx().eventBus().<JsonObject>request(address, new JsonObject().put("workerId", worker).put("n", n))
        .await().body().getBoolean("accepted");
  }

  private static void replace(MultiMap headers, MultiMap with) {
    headers.clear();
    headers.addAll(with);
  }
}
