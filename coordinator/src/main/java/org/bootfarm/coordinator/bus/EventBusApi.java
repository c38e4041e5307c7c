package org.bootfarm.coordinator.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.retention.StoreCollection;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.SubmitBatch;
import org.bootfarm.protocol.api.v1.SubmitRequest;

/**
 * The coordinator's event-bus API (version 1): consumers on the {@link Addresses} that clients,
 * the TCP bridge and workers use, each translating a JSON object body into a
 * {@link BuildCoordinator} call run on a worker thread (heartbeats are not among them: every coordinator,
 * active or not, consumes them once through {@code intake.HeartbeatConsumer}). A refusal fails the message with the
 * HTTP-style status of its {@link ApiError} and the error as JSON text, so a client never waits
 * out a timeout for a body it sent wrong. The calls that change something are made for the caller the
 * message names ({@code access.CallerHeader}): the bridge's client, a standby's HTTP client, or the member.
 */
public final class EventBusApi {
  private final BuildCoordinator coordinator;
  private final FarmInfo info;
  private final ApiConsumers consumers;
  private StoreCollection collection;

  /** An API whose {@link Addresses#INFO} answers that this coordinator has no HTTP API. */
  public EventBusApi(Vertx vertx, BuildCoordinator coordinator) {
    this(vertx, coordinator, null);
  }

  /** @param info what {@link Addresses#INFO} answers (null: this coordinator serves no HTTP API) */
  public EventBusApi(Vertx vertx, BuildCoordinator coordinator, FarmInfo info) {
    this(vertx, coordinator, info, SenderCheck.UNSECURED);
  }

  /** With every call answered only for a sender whose certificate may make it ({@code senders}, ADR 0031). */
  public EventBusApi(Vertx vertx, BuildCoordinator coordinator, FarmInfo info, SenderCheck senders) {
    this.coordinator = coordinator;
    this.info = info;
    this.consumers = new ApiConsumers(vertx, senders);
  }

  /** Answers {@link Addresses#GC} too, with a collection of this coordinator's store. Call before {@link #register}. */
  public EventBusApi withCollection(StoreCollection collection) {
    this.collection = collection;
    return this;
  }

  /** Registers every consumer; the future completes when they are registered cluster-wide. */
  public Future<Void> register() {
    consumers.on(Addresses.PING, body -> Map.of("ok", true));
    consumers.on(Addresses.INFO, body -> {
      if (info == null) {
        throw new ApiException(ApiError.Code.UNAVAILABLE, "this coordinator serves no HTTP API, so it has no"
            + " artifact store URL to give; start it with --http-port");
      }
      return info;
    });
    consumers.onForCommit(Addresses.SUBMIT, (caller, body) ->
        new JsonObject().put("id", coordinator.submit(caller, read(body, SubmitRequest.class))));
    consumers.onForCommitBatch(Addresses.SUBMIT_MANY, EventBusApi::submissions, coordinator::submitEach);
    consumers.on(Addresses.GET, body -> coordinator.get(id(body)));
    consumers.on(Addresses.LIST, body -> Map.of("builds", coordinator.list(read(body, BuildQuery.class))));
    consumers.onFor(Addresses.CANCEL, (caller, body) -> coordinator.cancel(caller, id(body)));
    consumers.onFor(Addresses.PIN, (caller, body) -> coordinator.pin(caller, id(body), new PinRequest(
        body instanceof JsonObject json && json.getValue("reason") instanceof String reason ? reason : null)));
    consumers.onFor(Addresses.UNPIN, (caller, body) -> coordinator.unpin(caller, id(body)));
    consumers.onFor(Addresses.REBUILD, (caller, body) -> coordinator.rebuild(caller, id(body)));
    if (collection != null) {
      consumers.on(Addresses.GC, body -> collection.collect(body instanceof JsonObject json
          && Boolean.TRUE.equals(json.getValue("dryRun"))));
    }
    consumers.on(Addresses.REPOS, body -> Map.of("repos", coordinator.repos()));
    consumers.on(Addresses.WORKERS, body -> Map.of("workers", coordinator.workers()));
    return consumers.registered();
  }

  public Future<Void> unregister() {
    return consumers.unregister();
  }

  /** A message body as a version-1 type ({@link ApiConsumers#read}). */
  static <T> T read(Object body, Class<T> type) throws ApiException {
    return ApiConsumers.read(body, type);
  }

  /** The submissions of a {@link SubmitBatch} body; a body that is none, or an empty or too long one, is a BAD_REQUEST. */
  private static List<SubmitRequest> submissions(Object body) throws ApiException {
    SubmitBatch batch = read(body, SubmitBatch.class);
    String problem = batch.problem();
    if (problem != null) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "the body must be {\"submissions\": [submit request...]}: "
          + problem);
    }
    return batch.submissions();
  }

  private static String id(Object body) throws ApiException {
    return ApiConsumers.id(body, "build id", Integer.MAX_VALUE);
  }
}
