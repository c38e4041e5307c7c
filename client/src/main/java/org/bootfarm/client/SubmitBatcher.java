package org.bootfarm.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.SubmitBatch;
import org.bootfarm.protocol.api.v1.SubmitResults;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * Carries the submissions a client makes while its event loop is busy to the coordinator in as few event-bus messages
 * as fit ({@link Addresses#SUBMIT_MANY}, docs/adr/0056): the first submission schedules a send on the client's
 * context, and every submission made before that send runs goes in the same message. Nothing waits for company: a
 * lone submission leaves at the next turn of the event loop, on {@link Addresses#SUBMIT} as before. Each submission
 * is still answered on its own, with its build's id once its record is durable or with its own refusal. A
 * coordinator that does not serve {@link Addresses#SUBMIT_MANY} (an older version) is sent them one by one.
 */
final class SubmitBatcher {
  /** Room left in {@link Addresses#MAX_REQUEST_BYTES} for the envelope {@code {"submissions":[...]}} and commas. */
  private static final int ENVELOPE_BYTES = 64;

  /** How a batch is sent: only a coordinator's answer is taken (ADR 0064). */
  private final CoordinatorRequests requests;
  private final DeliveryOptions delivery;
  private final Duration timeout;
  /** Sends one submit request on {@link Addresses#SUBMIT}, as the client sends any request. */
  private final Function<Object, Future<String>> alone;
  private final Context context;
  /** Submissions made since the last send; guarded by {@code this}. */
  private List<Waiting> waiting = new ArrayList<>();

  /** A submission not sent yet: its request, as the JSON text it travels as, and its size in UTF-8. */
  private record Waiting(Object request, String text, int bytes, Promise<String> answer) {}

  SubmitBatcher(Vertx vertx, CoordinatorRequests requests, DeliveryOptions delivery, Duration timeout,
      Function<Object, Future<String>> alone) {
    this.requests = requests;
    this.delivery = delivery;
    this.timeout = timeout;
    this.alone = alone;
    this.context = vertx.getOrCreateContext();
  }

  /** Sends {@code body} (a submit request) with those made beside it; completes with the build's id. */
  Future<String> submit(Object request) {
    String text = WireJson.write(request);
    Waiting submission = new Waiting(request, text, text.getBytes(StandardCharsets.UTF_8).length, Promise.promise());
    boolean first;
    synchronized (this) {
      first = waiting.isEmpty();
      waiting.add(submission);
    }
    if (first) {
      context.runOnContext(nothing -> send());
    }
    return submission.answer().future();
  }

  /** Sends everything waiting, in messages within the request limits. */
  private void send() {
    List<Waiting> taken;
    synchronized (this) {
      taken = waiting;
      waiting = new ArrayList<>();
    }
    List<Waiting> batch = new ArrayList<>();
    int bytes = ENVELOPE_BYTES;
    for (Waiting submission : taken) {
      if (!batch.isEmpty() && (batch.size() == SubmitBatch.MAX_SUBMISSIONS
          || bytes + submission.bytes() + 1 > Addresses.MAX_REQUEST_BYTES)) {
        send(batch);
        batch = new ArrayList<>();
        bytes = ENVELOPE_BYTES;
      }
      batch.add(submission);
      bytes += submission.bytes() + 1;
    }
    send(batch);
  }

  private void send(List<Waiting> batch) {
    if (batch.size() == 1) {
      sendAlone(batch.get(0));
      return;
    }
    // the batch travels as its JSON text, written once from the requests' texts: as a JsonObject it was parsed from
    // them, then written again to be signed and once more to be sent (and the coordinator did the same backwards)
    StringBuilder body = new StringBuilder("{\"submissions\":[");
    for (int i = 0; i < batch.size(); i++) {
      body.append(i == 0 ? "" : ",").append(batch.get(i).text());
    }
    requests.request(Addresses.SUBMIT_MANY, body.append("]}").toString(), delivery)
        .onSuccess(reply -> answer(batch, String.valueOf(reply.body())))
        .onFailure(failure -> {
          if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
            batch.forEach(this::sendAlone); // a coordinator before docs/adr/0056, or none (then each says so)
          } else {
            ApiErrorException refused = ApiErrorException.of(Addresses.SUBMIT_MANY, failure, timeout);
            batch.forEach(submission -> submission.answer().fail(refused));
          }
        });
  }

  /** Gives each submission of {@code batch} its own answer from a {@link SubmitResults} reply. */
  private static void answer(List<Waiting> batch, String reply) {
    List<SubmitResults.Result> results;
    try {
      results = WireJson.read(reply, SubmitResults.class).results();
    } catch (WireJson.WireFormatException e) {
      results = List.of();
    }
    if (results.size() != batch.size()) {
      ApiErrorException wrong = new ApiErrorException(new ApiError(ApiError.Code.INTERNAL, "the answer on "
          + Addresses.SUBMIT_MANY + " is not " + batch.size() + " submit results of API v1; client and coordinator"
          + " versions differ? The submissions may have been recorded: list the builds before submitting again",
          List.of()));
      batch.forEach(submission -> submission.answer().fail(wrong));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      SubmitResults.Result result = results.get(i);
      if (result.id() != null) {
        batch.get(i).answer().complete(result.id());
      } else {
        batch.get(i).answer().fail(new ApiErrorException(result.error() != null ? result.error()
            : new ApiError(ApiError.Code.INTERNAL, "the coordinator answered neither an id nor a refusal", List.of())));
      }
    }
  }

  private void sendAlone(Waiting submission) {
    alone.apply(submission.request()).onComplete(submission.answer());
  }
}
