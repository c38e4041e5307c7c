package org.bootfarm.coordinator.failover;

import java.util.List;
import java.util.function.Consumer;
import org.bootfarm.cluster.ClusterMember;
import org.bootfarm.cluster.ClusterMembership;

/**
 * The election of a coordinator that keeps its builds in its own SQLite file: it is the only coordinator of its
 * cluster, always active. A second coordinator on SQLite in one cluster refuses to start (its builds would be
 * another file, unseen by the first): a farm with several coordinators shares a PostgreSQL store (ADR 0039).
 */
public final class SoleCoordinator implements Election {
  private final String nodeId;

  private SoleCoordinator(String nodeId) {
    this.nodeId = nodeId;
  }

  /**
   * This coordinator, alone; refused when {@code membership} (null: started without a cluster) already holds
   * another coordinator.
   */
  public static SoleCoordinator of(ClusterMembership membership, String nodeId, String storeName) {
    List<String> others = membership == null ? List.of() : membership.coordinators().stream()
        .filter(member -> !member.local()).map(ClusterMember::nodeId).toList();
    if (!others.isEmpty()) {
      throw new IllegalStateException("coordinator " + others.get(0) + " is already in this cluster, and this one"
          + " keeps its builds in its own SQLite file (" + storeName + "), which the other would never see: run"
          + " every coordinator of a farm on one shared store with --store postgresql://HOST:PORT/DB?user=USER"
          + " (docs/operator-guide.md, \"The shared store\"), or run this one in a cluster of its own");
    }
    return new SoleCoordinator(nodeId);
  }

  @Override
  public boolean thisOneLeads() {
    return true;
  }

  @Override
  public String leader() {
    return nodeId;
  }

  @Override
  public void onLeaderMayHaveChanged(Consumer<String> why) {
    // alone: nobody to take over from
  }
}
