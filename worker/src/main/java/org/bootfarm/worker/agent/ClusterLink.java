package org.bootfarm.worker.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The worker's connection to the cluster node it is attached to now, or none while it is between
 * nodes (the last coordinator died and the process rejoins): everything the agent sends on the
 * event bus goes through here and copes with there being no node.
 */
final class ClusterLink {
  /**
   * One attached cluster node: its Vert.x, node id, the worker's inbox consumer on it, and how it sends requests only
   * a coordinator may answer (ADR 0064).
   */
  record Node(Vertx vertx, String nodeId, MessageConsumer<Object> inbox, CoordinatorRequests requests) {}

  private volatile Node node;

  /** The node attached now; null while detached. */
  Node node() {
    return node;
  }

  void attached(Node attached) {
    node = attached;
  }

  /** Forgets the node and stops reading the inbox on it. */
  void detach() {
    Node current = node;
    node = null;
    if (current != null) {
      current.inbox().unregister(); // not awaited: the cluster it would tell may be gone
    }
  }

  /** Events are for watchers now: while the worker is between cluster nodes they are dropped. */
  void publishEvent(String buildId, BuildEvent event) {
    Node current = node;
    if (current != null) {
      try {
        current.vertx().eventBus().publish(Addresses.buildEvents(buildId), new JsonObject(WireJson.write(event)));
      } catch (RuntimeException closing) {
        // the node is closing under us: the next event goes to the next one
      }
    }
  }

  /**
   * Sends a request to the coordinators, whose answer is taken only from a coordinator (another member's is refused,
   * logged, and the request sent again, {@link CoordinatorRequests}); a failed future when no node is attached or
   * the node is closing.
   */
  Future<Message<Object>> request(String address, JsonObject body, Duration timeout) {
    Node current = node;
    if (current == null) {
      return Future.failedFuture("no cluster connection");
    }
    try {
      return current.requests().request(address, body, new DeliveryOptions().setSendTimeout(timeout.toMillis()));
    } catch (RuntimeException e) { // a closing Vert.x may throw instead of failing the future
      return Future.failedFuture(e);
    }
  }

  /** The HTTP base URL of the coordinator serving the API now, or null when none answers within 3 s. */
  String activeArtifactsUrl() throws InterruptedException {
    try {
      Object body = request(Addresses.INFO, new JsonObject(), Duration.ofSeconds(3)).toCompletionStage()
          .toCompletableFuture().get(4, TimeUnit.SECONDS).body();
      return WireJson.read(String.valueOf(body), FarmInfo.class).artifactsUrl();
    } catch (ExecutionException | TimeoutException | WireJson.WireFormatException | RuntimeException e) {
      return null;
    }
  }
}
