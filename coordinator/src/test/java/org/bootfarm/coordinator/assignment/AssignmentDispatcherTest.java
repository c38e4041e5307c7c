package org.bootfarm.coordinator.assignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.PinnedDefinitions;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The placing loop against the real stores and the project's repos/: a placed build whose assignment cannot be
 * made (a rebuild whose pinned buildinfo is gone from the store) fails at once with the reason, instead of being
 * placed again each time its lease runs out; passes slower than their calls run one at a time.
 */
@Tag("unit")
class AssignmentDispatcherTest {
  @TempDir Path dir;
  Vertx vertx;
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    RepoCatalog repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    coordinator = new BuildCoordinator(store, artifacts, repos, new RendezvousPlacement(), Clock.systemUTC(),
        Duration.ofSeconds(30));
    coordinator.workerSeen(new WorkerInfo("w1", "node-w1", "test", "x86_64", List.of("apt"), 1, 0, 100L << 30,
        List.of(), 1000, List.of()));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
    store.close();
    artifacts.close();
  }

  @Test
  void passesSlowerThanTheirCallsDoNotPileUpOnTheWorkerThreads() throws Exception {
    AssignmentDispatcher dispatcher = new AssignmentDispatcher(vertx, coordinator,
        new AssignmentFactory(RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
            "http://127.0.0.1:1", new RecordedBuildInfos(artifacts), new PinnedDefinitions(artifacts)),
        new WorkerInbox(vertx));
    String id;
    synchronized (store) { // every pass waits for the store: as slow as a long queue on a busy database
      for (int i = 0; i < 100; i++) { // five times Vert.x's 20 worker threads
        dispatcher.assignQueued();
      }
      // another call still finds a worker thread while the store is held
      String answer = vertx.executeBlocking(() -> "a worker thread was free").toCompletionStage()
          .toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals("a worker thread was free", answer);
      id = store.nextId();
    }
    // passes go on once the store is free again
    store.insert(BuildRecord.queued(id, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()));
    dispatcher.assignQueued();
    BuildView placed = Eventually.value(Duration.ofSeconds(20), () -> coordinator.get(id),
        build -> !build.state().name().equals("QUEUED"));
    assertTrue(placed.attempts() == 0, placed::toString); // placed by a pass: running, or failed if unassignable
  }

  @Test
  void aBuildWhoseAssignmentCannotBeMadeFailsWithTheReason() throws Exception {
    String gone = "e".repeat(64);
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()).asRebuildOf("01ORIGINAL", gone));
    AssignmentDispatcher dispatcher = new AssignmentDispatcher(vertx, coordinator,
        new AssignmentFactory(RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
            "http://127.0.0.1:1", new RecordedBuildInfos(artifacts), new PinnedDefinitions(artifacts)),
        new WorkerInbox(vertx));

    dispatcher.assignQueued();

    BuildView failed = Eventually.value(Duration.ofSeconds(20), () -> coordinator.get(id),
        build -> build.state().isFinal());
    assertEquals("FAILED", failed.state().name(), failed::toString);
    assertTrue(failed.error().contains(gone),
        failed::toString);
    assertEquals(0, failed.attempts(), "failed at once, not retried: " + failed);
  }
}
