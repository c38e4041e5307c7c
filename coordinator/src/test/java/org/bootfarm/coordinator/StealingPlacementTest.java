package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.placement.WorkerView;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's placing pass with the stealing rule (ADR 0046), against the real SQLite store and the
 * project's repos/: a build whose warm worker is busy stays queued until it has waited the threshold, then an
 * idle worker takes it and the listener hears of the steal; a free slot goes first to a build warm there.
 */
@Tag("unit")
class StealingPlacementTest {
  private static final Duration AFTER = Duration.ofSeconds(30);
  @TempDir Path dir;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-12-06T20:00:00Z"));
  final List<String> stolen = new ArrayList<>();
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  String tether;

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    RepoCatalog repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    BuildStateListener listener = new BuildStateListener() {
      @Override
      public void changed(BuildView build, String text) {
      }

      @Override
      public void stolen(BuildView build, String warmWorker) {
        stolen.add(build.id() + " from " + warmWorker);
      }
    };
    coordinator = new BuildCoordinator(store, artifacts, repos, RendezvousPlacement.stealingAfter(AFTER), clock,
        Duration.ofMinutes(10), listener);
    byte[] content = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  private String submit(String repo) throws Exception {
    return coordinator.submit(MEMBER, new SubmitRequest(repo, "bootstrap", Map.of("tether", tether, "unpack", tether),
        null, null));
  }

  private static WorkerInfo worker(String id, List<String> managers, String... warmFor) {
    List<WorkerInfo.WarmCache> caches = new ArrayList<>();
    for (String repo : warmFor) {
      caches.add(new WorkerInfo.WarmCache(repo, "r1", 1L << 30));
    }
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", managers, 1, 0, 100L << 30, caches, 1000, List.of());
  }

  /** A worker id among {@code prefix-0, prefix-1, ...} that is not debian-12's home next to worker {@code home}. */
  private static String notHomeNextTo(String home, String prefix) {
    WorkerView homeView = new WorkerView(home, Set.of("apt"), "x86_64", 1, 0, 0, 0, Map.of(), true);
    for (int i = 0; ; i++) {
      WorkerView other = new WorkerView(prefix + "-" + i, Set.of("apt"), "x86_64", 1, 0, 0, 0, Map.of(), true);
      if (RendezvousPlacement.score("debian-12", other) < RendezvousPlacement.score("debian-12", homeView)) {
        return other.id();
      }
    }
  }

  @Test
  void aBuildWaitsForItsBusyWarmWorkerUntilTheThresholdThenTheIdleWorkerStealsIt() throws Exception {
    String idle = notHomeNextTo("warm", "idle");
    coordinator.workerSeen(worker("warm", List.of("apt"), "debian-12"));
    coordinator.workerSeen(worker(idle, List.of("apt")));
    String first = submit("debian-12");
    String second = submit("debian-12");

    List<BuildCoordinator.Assignment> now = coordinator.assign(10);
    assertEquals(List.of(first + " warm"), now.stream().map(a -> a.build().id() + " " + a.workerId()).toList());
    BuildView waiting = coordinator.get(second);
    assertEquals(BuildState.QUEUED, waiting.state());
    assertTrue(waiting.placement().startsWith("waiting for warm (home, warm, load 1, 1 slots), busy;"
        + " after 30 s queued"), waiting.placement());

    clock.advance(AFTER.minusSeconds(1));
    assertEquals(List.of(), coordinator.assign(10));
    assertEquals(List.of(), stolen);

    clock.advance(Duration.ofSeconds(1));
    now = coordinator.assign(10);
    assertEquals(List.of(second + " " + idle), now.stream().map(a -> a.build().id() + " " + a.workerId()).toList());
    assertTrue(coordinator.get(second).placement().startsWith("stolen from busy warm (home, warm, load 1, 1 slots)"
        + " after 30 s queued"), coordinator.get(second).placement());
    assertEquals(List.of(second + " from warm"), stolen);
  }

  @Test
  void aFreeSlotGoesToTheBuildWarmThereBeforeAStealEarlierInTheQueue() throws Exception {
    String photonWarm = notHomeNextTo("debian-warm", "photon-warm");
    coordinator.workerSeen(worker("debian-warm", List.of("apt"), "debian-12"));
    coordinator.workerSeen(worker(photonWarm, List.of("apt", "tdnf"), "photon-2.0"));
    String occupying = submit("debian-12");
    assertEquals("debian-warm", coordinator.assign(1).get(0).workerId());
    String debian = submit("debian-12");
    clock.advance(AFTER.plusSeconds(5));
    String photon = submit("photon-2.0");

    List<BuildCoordinator.Assignment> now = coordinator.assign(10);
    assertEquals(List.of(photon + " " + photonWarm),
        now.stream().map(a -> a.build().id() + " " + a.workerId()).toList());
    assertEquals(BuildState.QUEUED, coordinator.get(debian).state());
    assertEquals(List.of(), stolen);
    assertEquals(BuildState.RUNNING, coordinator.get(occupying).state());
  }
}
