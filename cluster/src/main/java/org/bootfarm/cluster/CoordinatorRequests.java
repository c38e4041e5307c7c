package org.bootfarm.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.bootfarm.cluster.identity.SenderCheck;

/**
 * Requests only a coordinator answers (the event-bus API, a worker's report, the coordinators' artifact copies),
 * whose answer is believed only when a coordinator's certificate vouches for it (ADR 0064). Vert.x hands a
 * point-to-point request to any member that registered a consumer on its address, round-robin, and tells the
 * requester nothing of who answered: a member with a worker certificate could answer in the coordinator's place.
 * Here the answer, or the refusal, is checked as a message only a coordinator may send ({@link SenderCheck}); one
 * from any other member is logged and counted, and the request is sent again (the round-robin then hands it to the
 * next consumer), keeping its first nonce ({@link MessageSignatures#NONCE}) so that a coordinator runs it at most
 * once however many consumers it passed, until a coordinator answers, {@link #MAX_SENDINGS} sendings were answered by
 * others or its timeout passed. Then it fails with {@link ReplyFailure#ERROR}, 502, naming who answered instead.
 */
public final class CoordinatorRequests {
  /** How often one request is sent while members that are no coordinator answer it. */
  static final int MAX_SENDINGS = 16;
  /** The failure code of a request that only members other than coordinators answered. */
  public static final int ANSWERED_BY_IMPOSTORS = 502;

  private final Vertx vertx;
  private final SenderCheck senders;
  private final Supplier<String> nonces;

  /**
   * @param senders who may answer: coordinators, by their certificates
   * @param nonces the nonce of each request's signatures ({@link MessageSignatures#nextNonce}); null values where
   *     this node signs nothing
   */
  public CoordinatorRequests(Vertx vertx, SenderCheck senders, Supplier<String> nonces) {
    this.vertx = vertx;
    this.senders = senders;
    this.nonces = nonces;
  }

  /** For a cluster without certificates (one-JVM tests): every answer is believed, as no sender is known. */
  public static CoordinatorRequests unsecured(Vertx vertx) {
    return new CoordinatorRequests(vertx, SenderCheck.UNSECURED, () -> null);
  }

  /**
   * Sends {@code body} to {@code address} as {@link io.vertx.core.eventbus.EventBus#request} does, waiting {@code
   * options}' send timeout in all; completes with a coordinator's answer, or fails with a coordinator's refusal, a
   * timeout or no handlers as Vert.x says, or {@link ReplyFailure#ERROR} when only others answered.
   */
  public <T> Future<Message<T>> request(String address, Object body, DeliveryOptions options) {
    if (!senders.secured()) {
      return vertx.eventBus().request(address, body, options);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.getSendTimeout());
    return send(address, body, options, nonces.get(), deadline, 1, new ArrayList<>());
  }

  private <T> Future<Message<T>> send(String address, Object body, DeliveryOptions options, String nonce,
      long deadline, int sending, List<String> impostors) {
    DeliveryOptions each = new DeliveryOptions(options)
        .setSendTimeout(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    if (nonce != null) {
      each.addHeader(MessageSignatures.NONCE, nonce);
    }
    return vertx.eventBus().<T>request(address, body, each).transform(result -> {
      if (result.succeeded()) {
        Message<T> answer = result.result();
        if (senders.fromCoordinator(answer, "the answer to a request on " + address)) {
          return Future.succeededFuture(answer);
        }
        impostors.add(senders.sender(answer).map(Object::toString)
            .orElseGet(() -> "an answer that does not verify: " + senders.refusal(answer)));
      } else if (result.cause() instanceof ReplyException refusal
          && refusal.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        if (senders.refusedByCoordinator(refusal, "a refusal (" + refusal.failureCode()
            + ") answering a request on " + address)) {
          return Future.failedFuture(refusal);
        }
        impostors.add(senders.refuser(refusal).map(Object::toString)
            .orElseGet(() -> "a refusal that does not verify: " + senders.refusalOf(refusal)));
      } else {
        return Future.failedFuture(result.cause());
      }
      if (sending >= MAX_SENDINGS || deadline - System.nanoTime() <= 0) {
        return Future.failedFuture(new ReplyException(ReplyFailure.ERROR, ANSWERED_BY_IMPOSTORS, "no coordinator"
            + " answered the request on " + address + ": " + sending + " answer(s) came from members that are no"
            + " coordinator (" + String.join(", ", new java.util.TreeSet<>(impostors)) + ") and were refused; a"
            + " member registered a consumer on a coordinator's address (see the log's refused lines)"));
      }
      return send(address, body, options, nonce, deadline, sending + 1, impostors);
    });
  }
}
