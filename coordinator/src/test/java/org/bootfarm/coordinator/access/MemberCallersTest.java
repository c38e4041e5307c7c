package org.bootfarm.coordinator.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.ClusterRefusals;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who an event-bus API call is made for, by its sender's certificate: a coordinator relays callers or
 * calls as an admin, a client member calls for itself with submit, a worker with read; a member that is
 * no coordinator cannot name a caller, and an unsigned call is refused and counted.
 */
@Tag("unit")
class MemberCallersTest {
  @TempDir static Path dir;
  static FarmCa ca;
  static ClusterRefusals refusals;
  static SenderCheck senders;

  @BeforeAll
  static void farm() throws Exception {
    ca = FarmCa.init(dir.resolve("ca"), "test");
    refusals = new ClusterRefusals(new SimpleMeterRegistry());
    senders = new SenderCheck(new MessageSignatures(ca.issue(new MemberIdentity("c0", NodeRole.COORDINATOR),
        dir.resolve("c0")).trust(), Clock.systemUTC()), refusals);
  }

  @Test
  void theSendersCertificateSaysWhoCalls() throws Exception {
    MemberCredential coordinator = member("c1", NodeRole.COORDINATOR);
    MemberCredential client = member("ci-bot", NodeRole.CLIENT);
    MemberCredential worker = member("w1", NodeRole.WORKER);
    assertEquals(new Caller("c1", AccessRole.ADMIN), CallerHeader.read(signed(coordinator, headers(null)), senders));
    assertEquals(new Caller("alice", AccessRole.READ),
        CallerHeader.read(signed(coordinator, headers(new Caller("alice", AccessRole.READ))), senders));
    assertEquals(new Caller("ci-bot", AccessRole.SUBMIT), CallerHeader.read(signed(client, headers(null)), senders));
    assertEquals(new Caller("w1", AccessRole.READ), CallerHeader.read(signed(worker, headers(null)), senders));
  }

  @Test
  void onlyACoordinatorRelaysACallerAndAnUnsignedCallIsRefused() throws Exception {
    MemberCredential client = member("mallory", NodeRole.CLIENT);
    long before = refusals.count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE);
    ApiException relayed = assertThrows(ApiException.class, () -> CallerHeader.read(
        signed(client, headers(new Caller("root", AccessRole.ADMIN))), senders));
    assertEquals(ApiError.Code.FORBIDDEN, relayed.error().code());
    ApiException unsigned = assertThrows(ApiException.class, () -> CallerHeader.read(
        message(headers(new Caller("root", AccessRole.ADMIN))), senders));
    assertEquals(ApiError.Code.UNAUTHORIZED, unsigned.error().code());
    assertEquals(before + 2, refusals.count(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE));
  }

  private static MemberCredential member(String name, NodeRole role) throws Exception {
    return ca.issueOrLoad(new MemberIdentity(name, role), dir.resolve(name));
  }

  private static MultiMap headers(Caller caller) {
    DeliveryOptions options = new DeliveryOptions();
    if (caller != null) {
      CallerHeader.write(options, caller);
    }
    return options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
  }

  /** A message as {@code sender}'s node sends it: signed the way its outbound interceptor signs. */
  private static Message<Object> signed(MemberCredential sender, MultiMap headers) {
    JsonObject body = new JsonObject().put("id", "b-1");
    String sent = Long.toString(System.currentTimeMillis());
    String signature = sender.signMessage(MessageSignatures.signed("bootfarm.v1.pin", sent, headers, body));
    headers.add(MessageSignatures.SIGNER, sender.messageSigner()).add(MessageSignatures.SENT, sent)
        .add(MessageSignatures.SIGNATURE, signature);
    return message(headers);
  }

  private static Message<Object> message(MultiMap headers) {
    JsonObject body = new JsonObject().put("id", "b-1");
    return new Message<>() {
      @Override public String address() { return "bootfarm.v1.pin"; }
      @Override public MultiMap headers() { return headers; }
      @Override public Object body() { return body; }
      @Override public String replyAddress() { return null; }
      @Override public boolean isSend() { return true; }
      @Override public void reply(Object message, DeliveryOptions options) {}
      @Override public <R> io.vertx.core.Future<Message<R>> replyAndRequest(Object message, DeliveryOptions options) {
        return null;
      }
    };
  }
}
