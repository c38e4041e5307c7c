package org.bootfarm.coordinator.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.access.ApiPermissions;
import org.bootfarm.coordinator.access.CallerHeader;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.SubmitResults;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The consumers of a group of event-bus API addresses (version 1), and how each answers: its call
 * runs on a worker thread, a result is replied as JSON, and a refusal fails the message with the
 * HTTP-style status of its {@link ApiError} and the error as JSON text, so a client never waits out a
 * timeout for a body it sent wrong. {@link EventBusApi} and {@link NightlyBusApi} are two such groups.
 */
final class ApiConsumers {
  /** A coordinator call answering one address. */
  @FunctionalInterface
  interface Call {
    Object apply(Object body) throws ApiException;
  }

  private final Vertx vertx;
  private final SenderCheck senders;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private WorkerExecutor commitWaiters;

  /**
   * @param senders who sent each call, by certificate: every call is answered only for a caller whose role
   *     may make it ({@link CallerHeader#read(Message, SenderCheck)}, {@link ApiPermissions#forAddress})
   */
  ApiConsumers(Vertx vertx, SenderCheck senders) {
    this.vertx = vertx;
    this.senders = senders;
  }

  /** A coordinator call answering one address for the caller the message names ({@link CallerHeader}). */
  @FunctionalInterface
  interface CallerCall {
    Object apply(Caller caller, Object body) throws ApiException;
  }

  /**
   * Answers {@code address} with {@code call} on the {@link CommitWaiters} pool: for a call that mostly waits for
   * its record's group commit ({@code SqlBuildStore#insert}), so that as many calls as are in flight can join one
   * commit, not only as many as Vert.x has worker threads (20), and so that waiting calls never hold up the others.
   */
  void onForCommit(String address, CallerCall call) {
    WorkerExecutor pool = commitWaiters();
    consumers.add(vertx.eventBus().consumer(address,
        message -> answer(message, body -> call.apply(permitted(message), body), pool)));
  }

  /** The items of a batch body, refused whole (an {@link ApiException}) when the body is not a batch. */
  @FunctionalInterface
  interface Batch<I> {
    List<I> items(Object body) throws ApiException;
  }

  /** A coordinator call that records the items of a batch for a caller and answers each one's id or refusal. */
  @FunctionalInterface
  interface BatchCall<I> {
    List<SubmitResults.Result> apply(Caller caller, List<I> items);
  }

  /**
   * Answers {@code address}, whose body carries several items, with one {@code call} for them all on the {@link
   * CommitWaiters} pool (one commit records them, docs/adr/0056) and one {@link SubmitResults} reply of each item's
   * id or refusal in order. The caller's permission and the batch's shape are checked once, for the whole message.
   * The reply travels as its JSON text, written once (a batch of 64 is a few kilobytes: as a JsonObject it was
   * written, parsed, and written twice more, to be signed and to be sent).
   */
  <I> void onForCommitBatch(String address, Batch<I> batch, BatchCall<I> call) {
    WorkerExecutor pool = commitWaiters();
    consumers.add(vertx.eventBus().consumer(address, message -> answer(message,
        body -> new JsonText(WireJson.write(new SubmitResults(call.apply(permitted(message), batch.items(body))))),
        pool)));
  }

  /** A call's answer that is JSON text already, sent as it is. */
  private record JsonText(String json) {}

  private WorkerExecutor commitWaiters() {
    if (commitWaiters == null) {
      commitWaiters = CommitWaiters.open(vertx);
    }
    return commitWaiters;
  }

  /** Answers {@code address} with {@code call}. */
  void on(String address, Call call) {
    onFor(address, (caller, body) -> call.apply(body));
  }

  /** Answers {@code address} with {@code call}, given who the message was sent for. */
  void onFor(String address, CallerCall call) {
    consumers.add(vertx.eventBus().consumer(address,
        message -> answer(message, body -> call.apply(permitted(message), body))));
  }

  /** Adds a consumer that answers in its own way (e.g. not at all), to be registered and unregistered with the rest. */
  void add(MessageConsumer<Object> consumer) {
    consumers.add(consumer);
  }

  /** Completes when every consumer is registered cluster-wide. */
  Future<Void> registered() {
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  Future<Void> unregister() {
    Future<Void> unregistered = Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
    WorkerExecutor pool = commitWaiters;
    commitWaiters = null; // registering again makes a new pool
    return pool == null ? unregistered : unregistered.eventually(pool::close);
  }

  /** The caller of {@code message} when its role may call that address; else refused, naming what is missing. */
  private Caller permitted(Message<Object> message) throws ApiException {
    Caller caller = CallerHeader.read(message, senders);
    ApiPermissions.Permission needed = ApiPermissions.forAddress(message.address());
    if (senders.secured() && !caller.role().allows(needed.role())) {
      ApiError refused = ApiPermissions.forbidden(caller, needed);
      throw new ApiException(refused.code(), refused.message(), refused.problems());
    }
    return caller;
  }

  private void answer(Message<Object> message, Call call) {
    answer(message, call, null);
  }

  /** Runs {@code call} on {@code pool} (null: Vert.x's worker threads), unordered, and replies with its result. */
  private void answer(Message<Object> message, Call call, WorkerExecutor pool) {
    Object body = message.body();
    (pool == null ? vertx.executeBlocking(() -> call.apply(body), false)
        : pool.executeBlocking(() -> call.apply(body), false)).onComplete(result -> {
      if (result.succeeded()) {
        // a call that answers a JsonObject (a submit's id) or JSON text already is not written and read back
        Object answer = result.result();
        message.reply(answer instanceof JsonObject json ? json : answer instanceof JsonText text ? text.json()
            : new JsonObject(WireJson.write(answer)));
      } else {
        ApiError error = errorOf(result.cause());
        message.fail(error.code().httpStatus(), WireJson.write(error));
      }
    });
  }

  /** The refusal a call's failure answers: its own for an {@link ApiException}, else INTERNAL naming the cause. */
  private static ApiError errorOf(Throwable failure) {
    return failure instanceof ApiException refused ? refused.error()
        : new ApiError(ApiError.Code.INTERNAL, String.valueOf(failure), List.of());
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

  /**
   * The {@code id} of a {@code {"id": ...}} body, at most {@code maxLength} characters; anything else
   * is a BAD_REQUEST naming {@code what} the id is of, a body over the limit TOO_LARGE.
   */
  static String id(Object body, String what, int maxLength) throws ApiException {
    if (body != null) {
      withinLimit(body);
    }
    if (body instanceof JsonObject json && json.getValue("id") instanceof String id && !id.isBlank()
        && id.length() <= maxLength) {
      return id;
    }
    throw new ApiException(ApiError.Code.BAD_REQUEST, "the body must be {\"id\": \"<" + what + ">\"}");
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
}
