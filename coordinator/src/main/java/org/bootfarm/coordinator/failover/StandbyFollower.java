package org.bootfarm.coordinator.failover;

import com.hazelcast.map.IMap;
import org.bootfarm.cluster.identity.SignedRecords;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.coordinator.replication.BuildReplica;

/**
 * A standby's following of the active coordinator: its builds from the cluster map into this
 * coordinator's own store ({@link BuildReplica}), and, once in the background, the artifacts of those
 * builds that were stored before this one joined. On takeover the following stops and every build in the
 * map is copied in.
 */
public final class StandbyFollower implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StandbyFollower.class.getName());
  /** How many of the newest builds a standby joining later fetches the artifacts of. */
  static final int CATCH_UP_BUILDS = 10_000;
  /** The cluster map of coordinator node ids to their HTTP base URLs, each value sealed by its coordinator. */
  public static final String COORDINATORS_MAP = "bootfarm.v1.coordinators";

  private final Vertx vertx;
  private final String nodeId;
  private final IMap<String, String> map;
  private final SqlBuildStore sqlite;
  private final ArtifactStore artifacts;
  private final ArtifactReplication replication;
  private final Map<String, String> coordinatorUrls;
  private final SignedRecords records;
  private BuildReplica replica;

  /**
   * @param map the replicated builds (null: no shared state, nothing to follow)
   * @param coordinatorUrls coordinator node id to its HTTP base URL (null without shared state)
   */
  public StandbyFollower(Vertx vertx, String nodeId, IMap<String, String> map, SqlBuildStore sqlite,
      ArtifactStore artifacts, ArtifactReplication replication, Map<String, String> coordinatorUrls,
      SignedRecords records) {
    this.records = records;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.map = map;
    this.sqlite = sqlite;
    this.artifacts = artifacts;
    this.replication = replication;
    this.coordinatorUrls = coordinatorUrls;
  }

  /** Starts following the builds of {@code activeId} and catching up on their artifacts. */
  public void follow(String activeId) {
    if (map == null) { // the shared store (docs/adr/0039): the builds are already where this one reads them
      LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " is a standby behind " + activeId
          + ", reading the shared store " + sqlite.database().name() + "; HTTP calls are forwarded to it");
      catchUpOnArtifacts(activeId);
      return;
    }
    replica = new BuildReplica(map, sqlite, records);
    int following = replica.follow();
    LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " is a standby behind " + activeId
        + ": following " + following + " builds from the cluster map; HTTP calls are forwarded to it");
    catchUpOnArtifacts(activeId);
  }

  /** Stops following (when it did) and copies every build of the cluster map into the store; returns how many. */
  public int stopAndCopyAll() {
    if (replica != null) {
      return replica.stopAndCopyAll();
    }
    if (map != null) {
      try (BuildReplica once = new BuildReplica(map, sqlite, records)) {
        return once.stopAndCopyAll();
      }
    }
    return 0;
  }

  /**
   * In the background, copies from the active coordinator the components, artifacts and pinned definitions of
   * the builds this standby holds but whose objects it lacks: those stored before it joined, never announced to it.
   */
  private void catchUpOnArtifacts(String activeId) {
    String source = coordinatorUrls == null ? null
        : records.open(COORDINATORS_MAP, activeId, coordinatorUrls.get(activeId)).orElse(null);
    if (source == null) {
      return;
    }
    vertx.executeBlocking(() -> {
      Set<String> wanted = new HashSet<>();
      for (BuildRecord build : sqlite.list(BuildFilter.newest(CATCH_UP_BUILDS))) {
        wanted.addAll(build.components().values());
        build.artifacts().forEach(artifact -> wanted.add(artifact.sha256()));
        if (build.definitionDigest() != null) {
          wanted.add(build.definitionDigest());
        }
      }
      wanted.removeIf(artifacts::exists);
      int copied = replication.copyMissing(wanted, source);
      if (copied > 0) {
        LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " copied " + copied + " of "
            + wanted.size() + " missing artifacts from the active coordinator " + activeId + " at " + source);
      }
      return copied;
    }, false);
  }

  @Override
  public void close() {
    if (replica != null) {
      replica.close();
    }
  }
}
