package org.bootfarm.coordinator.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.nightly.NightlyApi;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The nightly and verify addresses of the event-bus API (version 1): {@link Addresses#NIGHTLY_LATEST},
 * {@link Addresses#NIGHTLY_GET}, {@link Addresses#NIGHTLY_LIST}, {@link Addresses#NIGHTLY_RUN_NOW},
 * {@link Addresses#VERIFY} and {@link Addresses#PAIR_GET}, each a {@link NightlyApi} call on a worker
 * thread; refusals fail the message like {@link EventBusApi}'s. Registered by the active coordinator.
 */
public final class NightlyBusApi {
  private final Vertx vertx;
  private final NightlyApi nightly;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

  public NightlyBusApi(Vertx vertx, NightlyApi nightly) {
    this.vertx = vertx;
    this.nightly = nightly;
  }

  /** A nightly call answering one address. */
  @FunctionalInterface
  private interface Call {
    Object apply(Object body) throws ApiException;
  }

  /** Registers every consumer; the future completes when they are registered cluster-wide. */
  public Future<Void> register() {
    on(Addresses.NIGHTLY_LATEST, body -> nightly.latest());
    on(Addresses.NIGHTLY_GET, body -> nightly.get(id(body)));
    on(Addresses.NIGHTLY_LIST, body -> Map.of("runs", nightly.list(
        body instanceof JsonObject json && json.getValue("limit") instanceof Number limit ? limit.intValue() : 20)));
    on(Addresses.NIGHTLY_RUN_NOW, body -> nightly.runNow());
    on(Addresses.VERIFY, body -> nightly.verify(id(body)));
    on(Addresses.PAIR_GET, body -> nightly.pair(id(body)));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  public Future<Void> unregister() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  private void on(String address, Call call) {
    consumers.add(vertx.eventBus().consumer(address, message -> answer(message, call)));
  }

  private void answer(Message<Object> message, Call call) {
    Object body = message.body();
    vertx.executeBlocking(() -> call.apply(body), false).onComplete(result -> {
      if (result.succeeded()) {
        message.reply(new JsonObject(WireJson.write(result.result())));
      } else if (result.cause() instanceof ApiException refused) {
        message.fail(refused.error().code().httpStatus(), WireJson.write(refused.error()));
      } else {
        message.fail(ApiError.Code.INTERNAL.httpStatus(), WireJson.write(
            new ApiError(ApiError.Code.INTERNAL, String.valueOf(result.cause()), List.of())));
      }
    });
  }

  private static String id(Object body) throws ApiException {
    if (body instanceof JsonObject json && json.getValue("id") instanceof String id && !id.isBlank()
        && id.length() <= 200) {
      return id;
    }
    throw new ApiException(ApiError.Code.BAD_REQUEST, "the body must be {\"id\": \"<id>\"}");
  }
}
