package org.bootfarm.coordinator.failover;

import io.vertx.core.Vertx;
import java.util.HashSet;
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

  private final Vertx vertx;
  private final String nodeId;
  private final SqlBuildStore sqlite;
  private final ArtifactStore artifacts;
  private final ArtifactReplication replication;

  public StandbyFollower(Vertx vertx, String nodeId, SqlBuildStore sqlite, ArtifactStore artifacts,
      ArtifactReplication replication) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.sqlite = sqlite;
    this.artifacts = artifacts;
    this.replication = replication;
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
      int copied = wanted.isEmpty() ? 0 : replication.copyMissing(wanted, activeId); // from its sealed URL (ADR 0064)
      if (copied > 0) {
        LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " copied " + copied + " of "
            + wanted.size() + " missing artifacts from the active coordinator " + activeId);
      }
      return copied;
    }, false);
  }

  @Override
  public void close() {
    // nothing held: the catch-up runs once and ends with the process
  }
}
