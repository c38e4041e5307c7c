package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's decisions against the real SQLite store, the real artifact store and the
 * project's own repos/ definitions (photon keys from ../shared/keys; centos-6.9's key is absent,
 * so it stands for an invalid definition). The coordinator and the store share one clock.
 */
@Tag("unit")
class BuildCoordinatorTest {
  @TempDir Path dir;
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  String tether;

  @BeforeEach
  void start() throws Exception {
    Path root = ProjectTree.root();
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    RepoCatalog repos = RepoCatalog.read(root.resolve("repos"),
        ProjectTree.sharedKeys());
    coordinator = new BuildCoordinator(store, artifacts, repos, new RendezvousPlacement(),
        Clock.systemUTC(), Duration.ofSeconds(10));
    byte[] content = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  private SubmitRequest debian(Priority priority) {
    return new SubmitRequest("debian-12", "bootstrap", Map.of("tether", tether, "unpack", tether), priority, null);
  }

  private static WorkerInfo worker(String id, List<String> managers, int slots) {
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", managers, slots, 0, 100L << 30, List.of(), 1000, List.of());
  }

  @Test
  void aNodeLeavingTakesOnlyTheWorkersWhoseLatestHeartbeatCameFromIt() {
    coordinator.workerSeen(new WorkerInfo("w1", "node-old", "test", "x86_64", List.of("apt"), 1, 0, 1L << 30,
        List.of(), 1000, List.of()));
    coordinator.workerSeen(worker("w2", List.of("apt"), 1));
    assertEquals(List.of("w1"), coordinator.workersOnNode("node-old"));
    // w1 restarted on a new node (same stable id) before the old member was seen leaving
    coordinator.workerSeen(new WorkerInfo("w1", "node-new", "test", "x86_64", List.of("apt"), 1, 0, 1L << 30,
        List.of(), 1000, List.of()));
    assertEquals(List.of(), coordinator.workersOnNode("node-old"));
    assertEquals(List.of("w1"), coordinator.workersOnNode("node-new"));
  }

  @Test
  void submissionIsRecordedQueuedBeforeItsIdIsAnswered() throws Exception {
    String id = coordinator.submit(MEMBER, debian(null));
    BuildView view = coordinator.get(id);
    assertEquals(BuildState.QUEUED, view.state());
    assertEquals("debian-12", view.repo());
    assertEquals(Map.of("tether", tether, "unpack", tether), view.components());
    assertEquals(Priority.INTERACTIVE, view.priority());
  }

  @Test
  void aBadSubmissionAmongConcurrentOnesIsRefusedAloneAndTheOthersAreQueued() throws Exception {
    String missing = "c".repeat(64);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 48; i++) {
        SubmitRequest request = i % 8 == 5 ? new SubmitRequest("debian-12", null,
            Map.of("tether", tether, "unpack", missing), null, null) : debian(null);
        answers.add(pool.submit(() -> coordinator.submit(MEMBER, request)));
      }
      int queued = 0;
      for (int i = 0; i < answers.size(); i++) {
        if (i % 8 == 5) {
          java.util.concurrent.ExecutionException refused = assertThrows(java.util.concurrent.ExecutionException.class,
              answers.get(i)::get);
          assertTrue(refused.getCause() instanceof ApiException e && e.error().code() == ApiError.Code.BAD_REQUEST
              && e.getMessage().contains(missing), String.valueOf(refused.getCause()));
        } else {
          assertEquals(BuildState.QUEUED, coordinator.get(answers.get(i).get()).state());
          queued++;
        }
      }
      assertEquals(queued, coordinator.list(new BuildQuery(null, null, 100)).size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void unknownRepoIsRefusedListingTheKnownOnesAndNothingIsQueued() {
    ApiException e = assertThrows(ApiException.class,
        () -> coordinator.submit(MEMBER, new SubmitRequest("gentoo-1", null, Map.of(), null, null)));
    assertEquals(ApiError.Code.BAD_REQUEST, e.error().code());
    assertTrue(e.error().problems().get(0).contains("debian-12"), e.getMessage());
    assertEquals(List.of(), coordinator.list(new BuildQuery(null, null, null)));
  }

  @Test
  void componentNotInTheStoreIsRefusedNamingItAndHowToUploadIt() {
    String missing = "b".repeat(64);
    ApiException e = assertThrows(ApiException.class, () -> coordinator.submit(MEMBER, 
        new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", missing), null, null)));
    assertTrue(e.error().problems().get(0).startsWith("components.unpack: " + missing), e.getMessage());
    assertTrue(e.getMessage().contains("PUT /api/v1/artifacts/" + missing), e.getMessage());
  }

  @Test
  void invalidDefinitionIsRefusedWithItsProblems() {
    ApiException e = assertThrows(ApiException.class,
        () -> coordinator.submit(MEMBER, new SubmitRequest("centos-6.9", null, Map.of(), null, null)));
    assertTrue(e.getMessage().contains("invalid definition"), e.getMessage());
    assertTrue(e.getMessage().contains("gpgkey"), e.getMessage());
  }

  @Test
  void applianceOfAnotherRepoThanTheApplianceRepoIsRefusedNamingTheFlag() {
    // debian-12 has packages.appliance, but the farm's appliance repo is photon-2.0 (the default)
    ApiException e = assertThrows(ApiException.class,
        () -> coordinator.submit(MEMBER, new SubmitRequest("debian-12", "appliance", Map.of(), null, null)));
    assertTrue(e.getMessage().contains("only from its appliance repo 'photon-2.0', not from 'debian-12'"),
        e::getMessage);
    assertTrue(e.getMessage().contains("--appliance-repo"), e::getMessage);
    assertEquals(List.of(), store.list(new org.bootfarm.coordinator.queue.BuildFilter(null, null, 10)));
  }

  @Test
  void applianceRepoWithoutApplianceListIsRefused() throws Exception {
    RepoCatalog repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    BuildCoordinator farm = new BuildCoordinator(store, artifacts, repos, new RendezvousPlacement(),
        Clock.systemUTC(), Duration.ofSeconds(10), BuildStateListener.NONE, "debian-12");
    assertEquals(List.of("bootstrap", "appliance"), farm.repos().stream()
        .filter(r -> r.name().equals("debian-12")).findFirst().orElseThrow().targets());
    Map<String, String> appliance = Map.of("vic-init", tether, "docker-engine-server", tether, "port-layer-server",
        tether, "vicadmin", tether, "unpack", tether);
    String id = farm.submit(MEMBER, new SubmitRequest("debian-12", "appliance", appliance, null, null));
    assertEquals("appliance", farm.get(id).target());
    // the default farm lists no appliance for debian-12
    assertEquals(List.of("bootstrap"), coordinator.repos().stream()
        .filter(r -> r.name().equals("debian-12")).findFirst().orElseThrow().targets());
  }

  @Test
  void buildGoesToAWorkerThatRunsItsPackageManagerUnderALease() throws Exception {
    String id = coordinator.submit(MEMBER, debian(null));
    coordinator.workerSeen(worker("rpm-only", List.of("dnf", "tdnf", "yum"), 4));
    coordinator.workerSeen(worker("debian-box", List.of("apt"), 1));
    List<BuildCoordinator.Assignment> assigned = coordinator.assign(10);
    assertEquals(1, assigned.size());
    assertEquals("debian-box", assigned.get(0).workerId());
    BuildView view = coordinator.get(id);
    assertEquals(BuildState.RUNNING, view.state());
    assertEquals("debian-box", view.worker());
    assertTrue(view.placement().contains("debian-box"), view.placement());
  }

  @Test
  void buildNoLiveWorkerCanRunStaysQueuedWithTheReason() throws Exception {
    String id = coordinator.submit(MEMBER, debian(null));
    coordinator.workerSeen(worker("rpm-only", List.of("dnf", "tdnf", "yum"), 4));
    assertEquals(List.of(), coordinator.assign(10));
    BuildView view = coordinator.get(id);
    assertEquals(BuildState.QUEUED, view.state());
    assertNull(view.worker());
    assertTrue(view.placement().contains("no live worker runs apt"), view.placement());
  }

  @Test
  void aWorkerThatLeftGetsNoMoreBuilds() throws Exception {
    coordinator.workerSeen(worker("debian-box", List.of("apt"), 4));
    coordinator.workerLeft("debian-box");
    String id = coordinator.submit(MEMBER, debian(null));
    assertEquals(List.of(), coordinator.assign(10));
    assertEquals(BuildState.QUEUED, coordinator.get(id).state());
  }

  @Test
  void interactiveBuildsArePlacedBeforeNightlyOnes() throws Exception {
    String nightly = coordinator.submit(MEMBER, debian(Priority.NIGHTLY));
    String interactive = coordinator.submit(MEMBER, debian(Priority.INTERACTIVE));
    coordinator.workerSeen(worker("debian-box", List.of("apt"), 1));
    List<BuildCoordinator.Assignment> assigned = coordinator.assign(1);
    assertEquals(interactive, assigned.get(0).build().id());
    assertEquals(BuildState.QUEUED, coordinator.get(nightly).state());
  }

  @Test
  void queuedBuildCanBeCancelledOnceAndThenNotAgain() throws Exception {
    String id = coordinator.submit(MEMBER, debian(null));
    assertEquals(BuildState.CANCELLED, coordinator.cancel(MEMBER, id).state());
    ApiException e = assertThrows(ApiException.class, () -> coordinator.cancel(MEMBER, id));
    assertEquals(ApiError.Code.CONFLICT, e.error().code());
    assertEquals(ApiError.Code.NOT_FOUND,
        assertThrows(ApiException.class, () -> coordinator.get("01NOSUCHBUILD")).error().code());
  }

  @Test
  void cancellingARunningBuildNamesItsWorkerAndAttemptSoTheRunCanBeStopped() throws Exception {
    List<String> told = new ArrayList<>();
    BuildStateListener listener = new BuildStateListener() {
      @Override
      public void changed(BuildView build, String text) {
      }

      @Override
      public void cancelledWhileRunning(BuildView build, String worker, int attempt) {
        told.add(build.id() + " " + build.state() + " " + worker + " " + attempt);
      }
    };
    BuildCoordinator farm = new BuildCoordinator(store, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10), listener);
    String queued = farm.submit(MEMBER, debian(null));
    farm.cancel(MEMBER, queued);
    assertEquals(List.of(), told, "a queued build runs nowhere: no worker is told");

    String running = farm.submit(MEMBER, debian(null));
    farm.workerSeen(worker("debian-box", List.of("apt"), 1));
    BuildCoordinator.Assignment assigned = farm.assign(1).get(0);
    farm.cancel(MEMBER, running);
    assertEquals(List.of(running + " CANCELLED debian-box " + assigned.build().attempts()), told);
  }

}
