package org.bootfarm.coordinator.failover;

import java.util.List;
import java.util.function.Consumer;
import org.bootfarm.cluster.ClusterMember;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.cluster.NodeRole;

/**
 * Which coordinator of the cluster is the active one (ADR 0018): the
 * oldest live coordinator member, which every member computes alike without a vote. A coordinator
 * started alone, without shared state, is always active.
 */
public final class ActiveCoordinatorElection implements Election {
  private final ClusterMembership membership;
  private final boolean sharesState;
  private final String nodeId;

  /**
   * @param membership the cluster's members; null when started alone
   * @param sharesState whether the coordinators share their builds through the cluster (else this one is active)
   * @param nodeId this coordinator's cluster node id
   */
  public ActiveCoordinatorElection(ClusterMembership membership, boolean sharesState, String nodeId) {
    this.membership = membership;
    this.sharesState = sharesState;
    this.nodeId = nodeId;
  }

  /** Whether this coordinator is the oldest live one, and so the one that should be active. */
  @Override
  public boolean thisOneLeads() {
    if (membership == null || !sharesState) { // started alone (no shared state): always active
      return true;
    }
    List<ClusterMember> coordinators = membership.coordinators();
    return !coordinators.isEmpty() && coordinators.get(0).local();
  }

  /** The node id of the coordinator that should be active, "(none)" when there is no coordinator. */
  @Override
  public String leader() {
    return membership == null ? nodeId : membership.coordinators().stream().findFirst()
        .map(ClusterMember::nodeId).orElse("(none)");
  }

  /** Calls {@code why} with a reason each time a coordinator leaves the cluster (the leader may have changed). */
  @Override
  public void onCoordinatorLeft(Consumer<String> why) {
    if (membership != null) {
      membership.subscribe(joined -> { }, left -> {
        if (left.role() == NodeRole.COORDINATOR) {
          why.accept("coordinator " + left.nodeId() + " left the cluster");
        }
      });
    }
  }
}
