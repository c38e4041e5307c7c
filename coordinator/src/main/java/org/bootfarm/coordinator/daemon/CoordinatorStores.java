package org.bootfarm.coordinator.daemon;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.cluster.identity.SignedRecords;
import org.bootfarm.coordinator.failover.ActiveCoordinatorElection;
import org.bootfarm.coordinator.failover.Election;
import org.bootfarm.coordinator.failover.TermElection;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.bootfarm.coordinator.replication.ReplicatedBuildStore;

/**
 * Where a coordinator keeps its builds and nightly runs, and so how it learns whether it is the active one: its
 * own SQLite file in the data dir (the default), copied to standbys through the cluster maps and with the oldest
 * coordinator active (ADR 0018); or the farm's shared PostgreSQL store ({@code --store postgresql://}), where the
 * holder of the store's term lock is active and nothing is copied (docs/adr/0039).
 */
record CoordinatorStores(SqlBuildStore sql, BuildStore builds, NightlyStore nightly, IMap<String, String> map) {
  /** How long a finished nightly run or pair stays in the cluster map (each coordinator's store keeps it). */
  static final Duration NIGHTLY_IN_MAP = Duration.ofDays(7);
  /** How long a finished build stays in the cluster map (each coordinator's own store keeps it for good). */
  static final Duration HISTORY_IN_MAP = Duration.ofHours(24);

  /** Opens the stores: in {@code store} when given (PostgreSQL), else in {@code dataDir/builds.sqlite}. */
  static CoordinatorStores open(StoreDatabase store, Path dataDir, HazelcastInstance hazelcast, SignedRecords records,
      Clock clock) {
    StoreDatabase database = store != null ? store : StoreDatabase.sqlite(dataDir.resolve("builds.sqlite"));
    SqlBuildStore sql = SqlBuildStore.open(database, clock);
    if (database.engine() == StoreDatabase.Engine.POSTGRESQL) {
      return new CoordinatorStores(sql, sql, NightlyStore.open(database, null, NIGHTLY_IN_MAP, records), null);
    }
    IMap<String, String> map = hazelcast == null ? null : hazelcast.getMap(ReplicatedBuildStore.MAP);
    return new CoordinatorStores(sql, map == null ? sql : new ReplicatedBuildStore(sql, map, HISTORY_IN_MAP, records),
        NightlyStore.open(database, hazelcast == null ? null : hazelcast.getMap(NightlyStore.MAP), NIGHTLY_IN_MAP,
            records), map);
  }

  /** Whether the store is the farm's shared PostgreSQL one. */
  boolean shared() {
    return sql.database().engine() == StoreDatabase.Engine.POSTGRESQL;
  }

  /**
   * The election for these stores: on the shared store, by its term lock, tried for once now (so a coordinator
   * that starts alone is active at once); {@code termLost} runs when this coordinator's term ends under it.
   */
  Election election(Vertx vertx, ClusterMembership membership, String nodeId, Clock clock, Runnable termLost) {
    if (!shared()) {
      return new ActiveCoordinatorElection(membership, map != null, nodeId);
    }
    TermElection election = new TermElection(vertx, sql, nodeId, clock, termLost);
    election.tryToLead();
    return election;
  }

  /** Ends this coordinator's term (the lock frees for a standby at once) and closes the stores. */
  void close(Election election) {
    if (election instanceof TermElection term) {
      term.close();
    }
    nightly.close();
    builds.close();
  }
}
