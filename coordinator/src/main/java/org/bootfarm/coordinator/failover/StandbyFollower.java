package org.bootfarm.coordinator.failover;

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

/**
 * A standby's following of the active coordinator on the shared store (ADR 0039): the builds are already where
 * it reads them, so it only copies, once in the background, the artifacts of the builds that were stored before
 * it joined (those stored later are announced to it, {@link ArtifactReplication}), and confirms holding a
 * submission's inputs when the active coordinator asks ({@link ArtifactReplication#HOLD}, ADR 0042).
 */
public final class StandbyFollower implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StandbyFollower.class.getName());
  /** How many of the newest builds a standby joining later fetches the artifacts of. */
  static final int CATCH_UP_BUILDS = 10_000;
  /** The cluster map of coordinator node ids to their HTTP base URLs, each value sealed by its coordinator. */
  public static final String COORDINATORS_MAP = "bootfarm.v1.coordinators";

  private final Vertx vertx;
  private final String nodeId;
  private final SqlBuildStore sqlite;
  private final ArtifactStore artifacts;
  private final ArtifactReplication replication;
  private final Map<String, String> coordinatorUrls;
  private final SignedRecords records;

  /** @param coordinatorUrls coordinator node id to its HTTP base URL (null without a cluster) */
  public StandbyFollower(Vertx vertx, String nodeId, SqlBuildStore sqlite, ArtifactStore artifacts,
      ArtifactReplication replication, Map<String, String> coordinatorUrls, SignedRecords records) {
    this.records = records;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.sqlite = sqlite;
    this.artifacts = artifacts;
    this.replication = replication;
    this.coordinatorUrls = coordinatorUrls;
  }

  /** Starts following {@code activeId}: catching up on the artifacts of the builds it stored before this one came. */
  public void follow(String activeId) {
    LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " is a standby behind " + activeId
        + ", reading the shared store " + sqlite.database().name() + "; HTTP calls are forwarded to it");
    replication.serveHolds(nodeId); // the active one's submissions wait for a standby to hold their inputs (ADR 0042)
    catchUpOnArtifacts(activeId);
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
    // nothing held: the catch-up runs once and ends with the process
  }
}
