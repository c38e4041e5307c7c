package org.bootfarm.coordinator.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A heartbeat counts only from a node of this coordinator's cluster: after a partition heals, a worker's
 * heartbeats reach the active coordinator before the cluster's halves merged, and a build placed on that worker
 * then could never reach it (issue 15).
 */
@Tag("unit")
class HeartbeatConsumerTest {
  @TempDir Path dir;

  @Test
  void aHeartbeatFromANodeOutsideTheClusterDoesNotMakeAWorkerLive() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SqlBuildStore store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
        ArtifactStore artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults())) {
      BuildCoordinator coordinator = new BuildCoordinator(store, artifacts,
          RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()), new RendezvousPlacement(),
          Clock.systemUTC(), Duration.ofSeconds(10));
      Set<String> members = Set.of("node-in");
      new HeartbeatConsumer(vertx, coordinator, info -> { }, () -> true, SenderCheck.UNSECURED, members::contains)
          .register().await();
      vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, heartbeat("w-outside", "node-out"));
      vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, heartbeat("w-inside", "node-in"));
      assertTrue(Eventually.holds(Duration.ofSeconds(5), Duration.ofMillis(10),
          () -> !coordinator.workers().isEmpty()), "the member's heartbeat counted");
      assertEquals(List.of("w-inside"), coordinator.workers().stream().map(WorkerInfo::id).toList());
    } finally {
      vertx.close().await();
    }
  }

  private static JsonObject heartbeat(String worker, String node) {
    return new JsonObject(WireJson.write(new WorkerInfo(worker, node, "test", "x86_64", List.of("apt"), 2, 0,
        1L << 30, List.of(), 1000, List.of())));
  }
}
