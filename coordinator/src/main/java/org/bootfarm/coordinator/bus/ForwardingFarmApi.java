package org.bootfarm.coordinator.bus;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.FarmApi;
import org.bootfarm.coordinator.access.CallerHeader;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * The public API of whichever coordinator is active, called over the event bus ({@link Addresses}):
 * what a standby's HTTP server answers with. A refusal by the active one comes back as the same
 * {@link ApiError}; no active coordinator (a takeover under way) is UNAVAILABLE, to be retried.
 * Blocks the calling thread: call it off the event loop, as the HTTP server does. A call that changes
 * something carries its caller ({@link CallerHeader}), so that the active coordinator records and checks the
 * client of the HTTP request, not this standby. Only a coordinator's answer is taken ({@link CoordinatorRequests},
 * ADR 0064): a member answering in its place is refused, and when no coordinator answers the call is UNAVAILABLE.
 */
public final class ForwardingFarmApi implements FarmApi {
  private final CoordinatorRequests requests;
  private final Duration timeout;

  public ForwardingFarmApi(CoordinatorRequests requests, Duration timeout) {
    this.requests = requests;
    this.timeout = timeout;
  }

  @Override
  public String submit(Caller caller, SubmitRequest request) throws ApiException {
    return call(Addresses.SUBMIT, new JsonObject(WireJson.write(request)), caller).getString("id");
  }

  @Override
  public BuildView get(String id) throws ApiException {
    return read(call(Addresses.GET, new JsonObject().put("id", id)), BuildView.class);
  }

  @Override
  public List<BuildView> list(BuildQuery query) throws ApiException {
    return readAll(call(Addresses.LIST, new JsonObject(WireJson.write(query))).getJsonArray("builds"),
        BuildView.class);
  }

  @Override
  public BuildView cancel(Caller caller, String id) throws ApiException {
    return read(call(Addresses.CANCEL, new JsonObject().put("id", id), caller), BuildView.class);
  }

  @Override
  public BuildView pin(Caller caller, String id, PinRequest request) throws ApiException {
    return read(call(Addresses.PIN, new JsonObject().put("id", id).put("reason", request.reason()), caller),
        BuildView.class);
  }

  @Override
  public BuildView unpin(Caller caller, String id) throws ApiException {
    return read(call(Addresses.UNPIN, new JsonObject().put("id", id), caller), BuildView.class);
  }

  @Override
  public BuildView rebuild(Caller caller, String id) throws ApiException {
    return read(call(Addresses.REBUILD, new JsonObject().put("id", id), caller), BuildView.class);
  }

  @Override
  public List<RepoInfo> repos() throws ApiException {
    return readAll(call(Addresses.REPOS, new JsonObject()).getJsonArray("repos"), RepoInfo.class);
  }

  @Override
  public Collection<WorkerInfo> workers() throws ApiException {
    return readAll(call(Addresses.WORKERS, new JsonObject()).getJsonArray("workers"), WorkerInfo.class);
  }

  JsonObject call(String address, JsonObject body) throws ApiException {
    return call(address, body, null);
  }

  /** A call made for {@code caller} (null: for no one but the cluster member this is). */
  JsonObject call(String address, JsonObject body, Caller caller) throws ApiException {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeout.toMillis());
    if (caller != null) {
      CallerHeader.write(options, caller);
    }
    try {
      Message<Object> reply = requests.<Object>request(address, body, options).toCompletionStage().toCompletableFuture()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      Object answer = reply.body();
      return answer instanceof JsonObject json ? json : new JsonObject(String.valueOf(answer));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ReplyException refused && refused.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        ApiError error;
        try {
          error = WireJson.read(refused.getMessage(), ApiError.class);
        } catch (WireJson.WireFormatException | RuntimeException unreadable) {
          error = new ApiError(ApiError.Code.INTERNAL, "the active coordinator failed: " + refused.getMessage(),
              List.of());
        }
        throw new ApiException(error.code(), error.message(), error.problems());
      }
      throw unavailable(address, String.valueOf(e.getCause()));
    } catch (TimeoutException e) {
      throw unavailable(address, "no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(address, "interrupted");
    }
  }

  private static ApiException unavailable(String address, String why) {
    return new ApiException(ApiError.Code.UNAVAILABLE, "this coordinator is a standby and the active coordinator did"
        + " not answer " + address + " (" + why + "); a standby takes over within seconds of the active one"
        + " leaving: try again");
  }

  static <T> T read(JsonObject json, Class<T> type) throws ApiException {
    try {
      return WireJson.read(json.encode(), type);
    } catch (WireJson.WireFormatException e) {
      throw new ApiException(ApiError.Code.INTERNAL, "the active coordinator answered a " + type.getSimpleName()
          + " this one cannot read (are they different bootfarm versions?): " + e.getMessage());
    }
  }

  static <T> List<T> readAll(JsonArray items, Class<T> type) throws ApiException {
    List<T> all = new ArrayList<>();
    for (Object item : items == null ? new JsonArray() : items) {
      all.add(read((JsonObject) item, type));
    }
    return all;
  }
}
