package org.bootfarm.coordinator.intake;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import io.vertx.core.eventbus.Message;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * The coordinator's one consumer of worker heartbeats ({@link Addresses#WORKER_HEARTBEAT}, published to
 * every coordinator): each heartbeat is recorded once in the worker table (every coordinator keeps one,
 * so a standby can take over with it), told to {@code seen} (the metrics), and, on the active
 * coordinator, renews the leases of the builds the worker runs. A malformed heartbeat is dropped; the
 * worker's next one is read on its own. In a farm with certificates a heartbeat counts only when the
 * certificate of the worker it describes (or a coordinator's) signed it: a stranger can neither
 * invent a worker that attracts builds nor speak for a real one. A heartbeat from a node that is not a
 * member of this coordinator's cluster is dropped: after a partition heals, heartbeats reach the coordinator
 * before the two halves of the cluster have merged, while its assignments cannot reach that worker yet, and
 * every build placed there would be a run lost (issue 15).
 */
public final class HeartbeatConsumer {
  private final Vertx vertx;
  private final BuildCoordinator coordinator;
  private final Consumer<WorkerInfo> seen;
  private final BooleanSupplier active;
  private final SenderCheck senders;
  private final Predicate<String> member;
  private MessageConsumer<Object> consumer;

  /**
   * @param seen told of every heartbeat after the worker table (e.g. the farm's metrics)
   * @param active whether this coordinator is the active one now, which alone renews leases
   */
  public HeartbeatConsumer(Vertx vertx, BuildCoordinator coordinator, Consumer<WorkerInfo> seen,
      BooleanSupplier active, SenderCheck senders) {
    this(vertx, coordinator, seen, active, senders, nodeId -> true);
  }

  /**
   * @param member whether a cluster node id is a member of this coordinator's cluster now; a heartbeat from
   *     any other node is dropped
   */
  public HeartbeatConsumer(Vertx vertx, BuildCoordinator coordinator, Consumer<WorkerInfo> seen,
      BooleanSupplier active, SenderCheck senders, Predicate<String> member) {
    this.member = member;
    this.senders = senders;
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.seen = seen;
    this.active = active;
  }

  /** Starts consuming; the future completes when the consumer is registered cluster-wide. */
  public Future<Void> register() {
    consumer = vertx.eventBus().consumer(Addresses.WORKER_HEARTBEAT, this::heartbeat);
    return consumer.completion();
  }

  public Future<Void> unregister() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void heartbeat(Message<Object> message) {
    WorkerInfo info;
    try {
      info = WireJson.read(String.valueOf(message.body()), WorkerInfo.class);
    } catch (WireJson.WireFormatException e) {
      return;
    }
    if (!senders.fromCoordinatorOr(message, info.id(), "a heartbeat of worker '" + info.id() + "'")) {
      return;
    }
    if (info.nodeId() != null && !member.test(info.nodeId())) {
      return; // its node is not in this coordinator's cluster (yet): assignments could not reach it
    }
    coordinator.workerSeen(info);
    seen.accept(info);
    if (active.getAsBoolean() && !info.running().isEmpty()) {
      vertx.executeBlocking(() -> {
        coordinator.renewLeases(info);
        return null;
      }, false);
    }
  }
}
