package org.bootfarm.coordinator.daemon;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.coordinator.failover.SoleCoordinator;
import org.bootfarm.coordinator.failover.Election;
import org.bootfarm.coordinator.failover.TermElection;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreDatabase;

/**
 * Where a coordinator keeps its builds and nightly runs, and so how it learns whether it is the active one: its
 * own SQLite file in the data dir (the default), the only coordinator of its cluster; or the farm's shared
 * PostgreSQL store ({@code --store postgresql://}), where the holder of the store's term lock is active and the
 * others are standbys reading the same rows (ADR 0039).
 */
record CoordinatorStores(SqlBuildStore sql, NightlyStore nightly) {
  /** What the files of the SQLite store are: readable and writable by the coordinator's user alone (ADR 0065). */
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

  /**
   * Opens the stores: in {@code store} when given (PostgreSQL), else in {@code dataDir/builds.sqlite}, made (or set)
   * mode 0600 before SQLite opens it, which gives its journal, WAL and shared-memory files the same mode.
   */
  static CoordinatorStores open(StoreDatabase store, Path dataDir, Clock clock) throws IOException {
    StoreDatabase database = store != null ? store : StoreDatabase.sqlite(dataDir.resolve("builds.sqlite"));
    if (database.file() != null) {
      ownerOnly(database.file());
    }
    SqlBuildStore sql = SqlBuildStore.open(database, clock);
    return new CoordinatorStores(sql, NightlyStore.open(database));
  }

  /** Makes the SQLite file {@code file} (empty: an empty database) or sets it and its companions to {@link #FILE_MODE}. */
  private static void ownerOnly(Path file) throws IOException {
    if (!Files.exists(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
    }
    for (String suffix : List.of("", "-journal", "-wal", "-shm")) {
      Path part = file.resolveSibling(file.getFileName() + suffix);
      if (Files.exists(part) && !Files.getPosixFilePermissions(part).equals(FILE_MODE)) {
        Files.setPosixFilePermissions(part, FILE_MODE);
      }
    }
  }

  /** Whether the store is the farm's shared PostgreSQL one. */
  boolean shared() {
    return sql.database().engine() == StoreDatabase.Engine.POSTGRESQL;
  }

  /**
   * The election for these stores: on SQLite this coordinator alone (refused when the cluster has another); on the
   * shared store, by its term lock, tried for once now (so a coordinator that starts alone is active at once);
   * {@code termLost} runs when this coordinator's term ends under it.
   */
  Election election(Vertx vertx, ClusterMembership membership, String nodeId, Clock clock, Runnable termLost) {
    if (!shared()) {
      return SoleCoordinator.of(membership, nodeId, sql.database().name());
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
    sql.close();
  }
}
