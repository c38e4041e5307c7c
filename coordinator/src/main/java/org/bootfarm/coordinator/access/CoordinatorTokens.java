package org.bootfarm.coordinator.access;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * How the coordinators of one farm let each other read their HTTP APIs (artifact replication, a standby
 * handing a component to the active one) without a line the operator writes: each coordinator makes a
 * random token of its own, never written anywhere, and announces it every few seconds on the event bus;
 * every coordinator accepts, with role {@code read}, the tokens that coordinators announced. The event bus
 * runs over mutual TLS and every message is signed (ADR 0031), so only a coordinator's announcement is
 * believed ({@link SenderCheck}) and a process without a farm certificate never sees one; a Hazelcast map,
 * which any process knowing the cluster name reads, would hand the token to anyone.
 */
public final class CoordinatorTokens implements AutoCloseable {
  /** Where coordinators announce their tokens (published, to every coordinator). */
  public static final String ANNOUNCE = "bootfarm.v1.coordinators.token";
  /** How often a coordinator announces its token: a coordinator that joins later learns it within this. */
  public static final long ANNOUNCE_EVERY_MILLIS = 3000;
  /** Who a coordinator copying an artifact from another is, in a cluster without certificates. */
  public static final Caller COORDINATORS = new Caller("coordinators", AccessRole.READ);

  private final Vertx vertx;
  private final String own;
  private final MessageConsumer<Object> consumer;
  private final long timer;

  private CoordinatorTokens(Vertx vertx, String own, MessageConsumer<Object> consumer, long timer) {
    this.vertx = vertx;
    this.own = own;
    this.consumer = consumer;
    this.timer = timer;
  }

  /**
   * Makes this coordinator's token, trusts it in {@code tokens}, and starts announcing it and trusting the
   * announcements of the other coordinators whose certificates {@code senders} verifies.
   */
  public static CoordinatorTokens start(Vertx vertx, LiveTokens tokens, SenderCheck senders) {
    String own = DefaultTokensFile.newToken();
    tokens.trust(own, COORDINATORS);
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(ANNOUNCE, message -> {
      if (!(message.body() instanceof JsonObject body) || !(body.getValue("token") instanceof String token)
          || token.length() < AccessTokens.MIN_TOKEN_LENGTH) {
        return;
      }
      if (!senders.secured()) {
        tokens.trust(token, COORDINATORS);
        return;
      }
      String what = "a coordinator's token announcement";
      Optional<MemberIdentity> who = senders.identify(message, what);
      if (who.isPresent() && who.get().role() != NodeRole.COORDINATOR) {
        senders.refuse(message, who.get(), what, "only a coordinator may");
      } else if (who.isPresent()) {
        tokens.trust(token, new Caller(who.get().name(), AccessRole.READ));
      }
    });
    JsonObject announcement = new JsonObject().put("token", own);
    long timer = vertx.setPeriodic(0, ANNOUNCE_EVERY_MILLIS, id -> vertx.eventBus().publish(ANNOUNCE, announcement));
    return new CoordinatorTokens(vertx, own, consumer, timer);
  }

  /** The token this coordinator sends when it reads another's API. */
  public String own() {
    return own;
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    consumer.unregister();
  }
}
