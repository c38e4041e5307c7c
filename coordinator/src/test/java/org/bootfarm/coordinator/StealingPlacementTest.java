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
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's placing pass with the stealing rule (ADR 0046), against the real SQLite store and the
 * project's repos/: a build whose warm worker is busy stays queued until it has waited the threshold, then an
 * idle worker takes it and the listener hears of the steal; a free slot goes first to a build warm there. The
 * threshold is the repo's cold cache cost as its recorded runs show (ADR 0052), read from the store at start and on
 * taking over from another coordinator, and updated as builds succeed; a build queued longer than the setting takes a warm worker with room before its cold
 * home (ADR 0052), a fresh one still goes home (ADR 0011).
 */
@Tag("unit")
class StealingPlacementTest {
  private static final Duration AFTER = Duration.ofSeconds(30);
  @TempDir Path dir;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-12-06T20:00:00Z"));
  final List<String> stolen = new ArrayList<>();
  SqlBuildStore store;
  ArtifactStore artifacts;
  RepoCatalog repos;
  BuildStateListener listener;
  BuildCoordinator coordinator;
  String tether;

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    listener = new BuildStateListener() {
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

  private List<String> assigned(BuildCoordinator on) {
    return on.assign(10).stream().map(a -> a.build().id() + " " + a.workerId()).toList();
  }

  /** Runs one build of debian-12 on worker "warm" to success in {@code took}, with {@code cache} as its report says. */
  private void runs(Duration took, PackageCacheUse cache) throws Exception {
    String id = submit("debian-12");
    assertEquals(List.of(id + " warm"), assigned(coordinator));
    clock.advance(took);
    LeaseAction done = coordinator.report(new BuildReport(id, "warm", 0, BuildState.SUCCEEDED, List.of(), List.of(),
        null, null, false, null, cache));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision(), done::toString);
  }

  /** Workers "warm" (debian-12's home, warm) and an idle cold one; a warm run of 20 s and a cold one of 32 s. */
  private String recordWarmAndColdRuns() throws Exception {
    String idle = notHomeNextTo("warm", "idle");
    coordinator.workerSeen(worker("warm", List.of("apt"), "debian-12"));
    coordinator.workerSeen(worker(idle, List.of("apt")));
    runs(Duration.ofSeconds(20), new PackageCacheUse(0, 0, 40));
    runs(Duration.ofSeconds(32), new PackageCacheUse(40, 80L << 20, 0));
    return idle;
  }

  private static final String RECORDED = "waiting for warm (home, warm, load 1, 1 slots), busy; after 12 s queued (the"
      + " cost of a cold cache as its runs recorded, --steal-after 30 s at most) an idle worker takes it";

  @Test
  void aBuildWaitsTheColdCostItsReposRecordedRunsShowThenIsStolen() throws Exception {
    String idle = recordWarmAndColdRuns();
    String first = submit("debian-12");
    String second = submit("debian-12");
    assertEquals(List.of(first + " warm"), assigned(coordinator));
    assertEquals(RECORDED, coordinator.get(second).placement());

    clock.advance(Duration.ofSeconds(11));
    assertEquals(List.of(), assigned(coordinator));
    clock.advance(Duration.ofSeconds(1));
    assertEquals(List.of(second + " " + idle), assigned(coordinator));
    assertEquals(List.of(second + " from warm"), stolen);
  }

  @Test
  void aRestartedCoordinatorReadsTheColdCostFromTheStore() throws Exception {
    String idle = recordWarmAndColdRuns();
    BuildCoordinator restarted = new BuildCoordinator(store, artifacts, repos, RendezvousPlacement.stealingAfter(AFTER),
        clock, Duration.ofMinutes(10), listener);
    restarted.workerSeen(worker("warm", List.of("apt"), "debian-12"));
    restarted.workerSeen(worker(idle, List.of("apt")));
    String first = restarted.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap",
        Map.of("tether", tether, "unpack", tether), null, null));
    String second = submit("debian-12");
    assertEquals(List.of(first + " warm"), assigned(restarted));
    assertEquals(RECORDED, restarted.get(second).placement());
  }

  @Test
  void aStandbyThatTakesOverReadsTheColdCostsTheOldActiveRecordedSinceItStarted() throws Exception {
    BuildCoordinator standby = new BuildCoordinator(store, artifacts, repos, RendezvousPlacement.stealingAfter(AFTER),
        clock, Duration.ofMinutes(10), listener);
    String idle = recordWarmAndColdRuns(); // through the active, after the standby read the store
    assertEquals(0, standby.afterTakeover(Duration.ofSeconds(30)));
    standby.workerSeen(worker("warm", List.of("apt"), "debian-12"));
    standby.workerSeen(worker(idle, List.of("apt")));
    String first = standby.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap",
        Map.of("tether", tether, "unpack", tether), null, null));
    String second = standby.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap",
        Map.of("tether", tether, "unpack", tether), null, null));
    assertEquals(List.of(first + " warm"), assigned(standby));
    assertEquals(RECORDED, standby.get(second).placement(), "12 s, the recorded cost, not --steal-after's 30 s");

    clock.advance(Duration.ofSeconds(12));
    assertEquals(List.of(second + " " + idle), assigned(standby), "stolen after the recorded cost");
    assertEquals(List.of(second + " from warm"), stolen);
  }

  @Test
  void anOverdueBuildTakesAWarmWorkerWithRoomBeforeItsColdHomeAFreshOneStillGoesHome() throws Exception {
    String warm = notHomeNextTo("home", "warm");
    coordinator.workerSeen(worker("home", List.of("apt")));
    coordinator.workerSeen(worker(warm, List.of("apt"), "debian-12"));
    String onHome = submit("debian-12");
    assertEquals(List.of(onHome + " home"), assigned(coordinator), "first look: the cold home (ADR 0011)");
    String onWarm = submit("debian-12");
    assertEquals(List.of(onWarm + " " + warm), assigned(coordinator), "the home is busy: the warm worker");
    String leftWaiting = submit("debian-12");
    assertEquals(List.of(), assigned(coordinator));
    assertEquals(BuildState.QUEUED, coordinator.get(leftWaiting).state());
    for (String id : List.of(onHome, onWarm)) {
      String worker = coordinator.get(id).worker();
      assertEquals(LeaseAction.Decision.SUCCEEDED, coordinator.report(new BuildReport(id, worker, 0,
          BuildState.SUCCEEDED, List.of(), List.of(), null, null, false, null)).decision());
    }

    clock.advance(AFTER);
    String fresh = submit("debian-12");
    assertEquals(List.of(leftWaiting + " " + warm, fresh + " home"), assigned(coordinator));
    assertTrue(coordinator.get(leftWaiting).placement().endsWith("its warm cache preferred over cold home home"
        + " (rank 1) for a build queued longer than 30 s (--steal-after)"), coordinator.get(leftWaiting).placement());
    assertEquals(List.of(), stolen);
  }
}
