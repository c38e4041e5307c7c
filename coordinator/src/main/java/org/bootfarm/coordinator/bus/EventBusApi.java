package org.bootfarm.coordinator.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * The coordinator's event-bus API (version 1): consumers on the {@link Addresses} that clients,
 * the TCP bridge and workers use, each translating a JSON object body into a
 * {@link BuildCoordinator} call run on a worker thread. A refusal fails the message with the
 * HTTP-style status of its {@link ApiError} and the error as JSON text, so a client never waits
 * out a timeout for a body it sent wrong.
 */
public final class EventBusApi {
  private final Vertx vertx;
  private final BuildCoordinator coordinator;
  private final FarmInfo info;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

  /** An API whose {@link Addresses#INFO} answers that this coordinator has no HTTP API. */
  public EventBusApi(Vertx vertx, BuildCoordinator coordinator) {
    this(vertx, coordinator, null);
  }

  /** @param info what {@link Addresses#INFO} answers (null: this coordinator serves no HTTP API) */
  public EventBusApi(Vertx vertx, BuildCoordinator coordinator, FarmInfo info) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.info = info;
  }

  /** Registers every consumer; the future completes when they are registered cluster-wide. */
  public Future<Void> register() {
    on(Addresses.PING, body -> Map.of("ok", true));
    on(Addresses.INFO, body -> {
      if (info == null) {
        throw new ApiException(ApiError.Code.UNAVAILABLE, "this coordinator serves no HTTP API, so it has no"
            + " artifact store URL to give; start it with --http-port");
      }
      return info;
    });
    on(Addresses.SUBMIT, body -> Map.of("id", coordinator.submit(read(body, SubmitRequest.class))));
    on(Addresses.GET, body -> coordinator.get(id(body)));
    on(Addresses.LIST, body -> Map.of("builds", coordinator.list(read(body, BuildQuery.class))));
    on(Addresses.CANCEL, body -> coordinator.cancel(id(body)));
    on(Addresses.PIN, body -> coordinator.pin(id(body), new PinRequest(
        body instanceof JsonObject json && json.getValue("reason") instanceof String reason ? reason : null)));
    on(Addresses.UNPIN, body -> coordinator.unpin(id(body)));
    on(Addresses.REPOS, body -> Map.of("repos", coordinator.repos()));
    on(Addresses.WORKERS, body -> Map.of("workers", coordinator.workers()));
    MessageConsumer<Object> heartbeat = vertx.eventBus().consumer(Addresses.WORKER_HEARTBEAT, message -> {
      try {
        coordinator.workerSeen(read(message.body(), WorkerInfo.class));
      } catch (ApiException e) {
        // a malformed heartbeat is dropped: the worker's next one is read on its own
      }
    });
    consumers.add(heartbeat);
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  public Future<Void> unregister() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  /** A coordinator call answering one address. */
  @FunctionalInterface
  private interface Call {
    Object apply(Object body) throws ApiException;
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

  /**
   * A message body as a version-1 type; a body that is not a JSON object of it is a BAD_REQUEST, one
   * over {@link Addresses#MAX_REQUEST_BYTES} TOO_LARGE.
   */
  static <T> T read(Object body, Class<T> type) throws ApiException {
    if (!(body instanceof JsonObject) && !(body instanceof String)) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "the body must be a JSON object " + type.getSimpleName()
          + ", not " + (body == null ? "empty" : body.getClass().getSimpleName()));
    }
    try {
      return WireJson.read(withinLimit(body), type);
    } catch (WireJson.WireFormatException e) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, e.getMessage());
    }
  }

  /** The body as JSON text, refused when it is over {@link Addresses#MAX_REQUEST_BYTES} in UTF-8. */
  private static String withinLimit(Object body) throws ApiException {
    String text = body.toString();
    // a char is at most 3 UTF-8 bytes: count exactly only when the quick bound is not enough
    if (text.length() > Addresses.MAX_REQUEST_BYTES / 3
        && (text.length() > Addresses.MAX_REQUEST_BYTES
            || text.getBytes(StandardCharsets.UTF_8).length > Addresses.MAX_REQUEST_BYTES)) {
      throw new ApiException(ApiError.Code.TOO_LARGE, "request body over " + Addresses.MAX_REQUEST_BYTES
          + " bytes of JSON; a request on the event bus is a small JSON object");
    }
    return text;
  }

  private static String id(Object body) throws ApiException {
    if (body != null) {
      withinLimit(body);
    }
    if (body instanceof JsonObject json && json.getValue("id") instanceof String id && !id.isBlank()) {
      return id;
    }
    throw new ApiException(ApiError.Code.BAD_REQUEST, "the body must be {\"id\": \"<build id>\"}");
  }
}
