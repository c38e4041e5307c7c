package org.bootfarm.coordinator.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.nightly.NightlyApi;
import org.bootfarm.protocol.api.v1.Addresses;

/**
 * The nightly and verify addresses of the event-bus API (version 1): {@link Addresses#NIGHTLY_LATEST},
 * {@link Addresses#NIGHTLY_GET}, {@link Addresses#NIGHTLY_LIST}, {@link Addresses#NIGHTLY_RUN_NOW},
 * {@link Addresses#VERIFY} and {@link Addresses#PAIR_GET}, each a {@link NightlyApi} call on a worker
 * thread; refusals fail the message like {@link EventBusApi}'s. Registered by the active coordinator.
 */
public final class NightlyBusApi {
  private final NightlyApi nightly;
  private final ApiConsumers consumers;

  public NightlyBusApi(Vertx vertx, NightlyApi nightly) {
    this(vertx, nightly, SenderCheck.UNSECURED);
  }

  /** With every call answered only for a sender whose certificate may make it ({@code senders}, ADR 0031). */
  public NightlyBusApi(Vertx vertx, NightlyApi nightly, SenderCheck senders) {
    this.nightly = nightly;
    this.consumers = new ApiConsumers(vertx, senders);
  }

  /** Registers every consumer; the future completes when they are registered cluster-wide. */
  public Future<Void> register() {
    consumers.on(Addresses.NIGHTLY_LATEST, body -> nightly.latest());
    consumers.on(Addresses.NIGHTLY_GET, body -> nightly.get(id(body)));
    consumers.on(Addresses.NIGHTLY_LIST, body -> Map.of("runs", nightly.list(
        body instanceof JsonObject json && json.getValue("limit") instanceof Number limit ? limit.intValue() : 20)));
    consumers.onFor(Addresses.NIGHTLY_RUN_NOW, (caller, body) -> nightly.runNow(caller));
    consumers.onFor(Addresses.VERIFY, (caller, body) -> nightly.verify(caller, id(body)));
    consumers.on(Addresses.PAIR_GET, body -> nightly.pair(id(body)));
    return consumers.registered();
  }

  public Future<Void> unregister() {
    return consumers.unregister();
  }

  private static String id(Object body) throws ApiException {
    return ApiConsumers.id(body, "id", 200);
  }
}
