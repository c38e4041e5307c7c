package org.bootfarm.coordinator.intake;

import io.vertx.core.Vertx;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.bootfarm.cluster.ClusterMember;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.coordinator.BuildCoordinator;

/**
 * What membership says of workers: when a worker's cluster node leaves, the workers whose latest
 * heartbeat came from it leave the worker table (and {@code left}, the metrics), and on the active
 * coordinator {@link BuildCoordinator#takeBackRunsOf} re-queues or fails their runs at once. Workers keep
 * their ids across restarts, so a worker already back on another node is not taken.
 */
public final class DepartedWorkers {
  private final Vertx vertx;
  private final BuildCoordinator coordinator;
  private final Consumer<String> left;
  private final BooleanSupplier active;

  public DepartedWorkers(Vertx vertx, BuildCoordinator coordinator, Consumer<String> left, BooleanSupplier active) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.left = left;
    this.active = active;
  }

  /** Follows {@code membership} from now on; closing the subscription stops it. */
  public ClusterMembership.Subscription watch(ClusterMembership membership) {
    return membership.subscribe(joined -> { }, this::memberLeft);
  }

  private void memberLeft(ClusterMember member) {
    if (member.role() != NodeRole.WORKER) {
      return;
    }
    for (String workerId : coordinator.workersOnNode(member.nodeId())) {
      coordinator.workerLeft(workerId);
      left.accept(workerId);
      if (active.getAsBoolean()) {
        vertx.executeBlocking(() -> coordinator.takeBackRunsOf(workerId), false);
      }
    }
  }
}
