package org.bootfarm.coordinator.nightly;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreFixture;
import org.bootfarm.coordinator.verdict.ReproducibilityJudge;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.bootfarm.testkit.SteppingClock;

/**
 * Nightly runs against the real build store (its nightly tables included), on each engine by a subclass
 * ({@link SqliteNightlyRunsTest}, {@link PostgresNightlyRunsTest}), the real artifact store,
 * the real coordinator and placement, and the project's own repos/ definitions (debian-12 runs on apt,
 * the photons on tdnf, centos-6.9 is invalid here for want of its key). Workers are heartbeats told to
 * the coordinator; builds end through the store as a worker's report would end them. The clock is
 * moved by hand, so schedule instants are exact.
 */
@Tag("unit")
abstract class NightlyRunsTest {
  @TempDir Path dir;
  StoreFixture database;

  /** This test's database (a fresh one). */
  abstract StoreFixture database();

  SteppingClock clock = new SteppingClock(Instant.parse("2026-11-25T01:58:00Z"));
  SqlBuildStore builds;
  NightlyStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  List<String> log = new ArrayList<>();
  Map<String, String> components;

  @BeforeEach
  void start() throws Exception {
    database = database();
    builds = database.openBuilds(clock);
    store = database.openNightly();
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    coordinator = new BuildCoordinator(builds, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), clock, Duration.ofMinutes(10));
    byte[] tether = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    artifacts.put(Sha256.of(tether), new ByteArrayInputStream(tether));
    byte[] unpack = "unpack stand-in".getBytes(StandardCharsets.UTF_8);
    artifacts.put(Sha256.of(unpack), new ByteArrayInputStream(unpack));
    components = Map.of("tether", Sha256.of(tether), "unpack", Sha256.of(unpack));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    builds.close();
    artifacts.close();
    database.close();
  }

  NightlyRuns runs(String schedule) throws Exception {
    return new NightlyRuns(coordinator, builds, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), store, new ReproducibilityJudge(artifacts, ReproducibilityJudge.Options.defaults()),
        new RecordedBuildInfos(artifacts), NightlySchedule.parse(schedule), clock, log::add);
  }

  static WorkerInfo aptWorker(String id) {
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", List.of("apt"), 2, 0, 100L << 30, List.of(), 1000,
        List.of());
  }

  /** A debian-12 build that succeeded on {@code worker}: where nightly builds take their components from. */
  String succeededDebianBuild(String worker) throws Exception {
    String id = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", components, Priority.INTERACTIVE,
        null));
    builds.claim(id, worker, clock.instant().plusSeconds(600), "test");
    builds.finish(id, worker, BuildOutcome.succeeded(List.of(PublishedBuildInfos.publish(artifacts, "debian-12",
        "base-files 12.4"))));
    return id;
  }

  @Test
  void aScheduledInstantIsRecordedOnceWhateverTheRunIdAndSurvivesReopening() throws Exception {
    Instant instant = Instant.parse("2026-11-25T02:00:00Z");
    NightlyReport first = new NightlyReport("sched-a", NightlyReport.SCHEDULE, instant.toString(),
        clock.instant().toString(), null, List.of(), List.of());
    assertTrue(store.insertRun(first));
    assertFalse(store.insertRun(first));
    assertFalse(store.insertRun(new NightlyReport("sched-b", NightlyReport.SCHEDULE, instant.toString(),
        clock.instant().toString(), null, List.of(), List.of())));
    store.close();
    store = database.openNightly();
    assertTrue(store.hasScheduled(instant));
    assertEquals(List.of("sched-a"), store.runs(10).stream().map(NightlyReport::id).toList());
    assertEquals(List.of("sched-a"), store.openRuns().stream().map(NightlyReport::id).toList());
  }

  @Test
  void theScheduleStartsEachDueInstantOnceAndSkipsOnesOlderThanTheCatchUp() throws Exception {
    NightlyRuns nightly = runs("0 2 * * *"); // active since 01:58: yesterday's 02:00 is long past
    nightly.tick();
    assertEquals(List.of(), store.runs(10));
    clock.set(Instant.parse("2026-11-25T02:00:00Z"));
    nightly.tick();
    nightly.tick();
    clock.set(Instant.parse("2026-11-25T02:07:00Z"));
    nightly.tick();
    List<NightlyReport> recorded = store.runs(10);
    assertEquals(1, recorded.size(), recorded::toString);
    assertEquals("sched-20261125T020000Z", recorded.get(0).id());
    assertEquals("2026-11-25T02:00:00Z", recorded.get(0).scheduledFor());
    assertEquals(NightlyReport.SCHEDULE, recorded.get(0).trigger());

    // a coordinator becoming active at 02:05 the next day still starts that day's missed 02:00 run ...
    clock.set(Instant.parse("2026-11-26T02:05:00Z"));
    runs("0 2 * * *").tick();
    assertTrue(store.hasScheduled(Instant.parse("2026-11-26T02:00:00Z")));
    // ... but one becoming active at 02:30 does not start an instant older than the catch-up window
    clock.set(Instant.parse("2026-11-27T02:30:00Z"));
    runs("0 2 * * *").tick();
    assertFalse(store.hasScheduled(Instant.parse("2026-11-27T02:00:00Z")));
  }

  @Test
  void everyRepoSomeLiveWorkerRunsGetsAPairWhoseSideBWaitsForSideA() throws Exception {
    coordinator.workerSeen(aptWorker("w1"));
    coordinator.workerSeen(aptWorker("w2"));
    succeededDebianBuild("w1");
    NightlyReport run = runs("off").runNow(MEMBER);

    assertEquals(NightlyReport.ON_DEMAND, run.trigger());
    assertEquals(1, run.pairs().size(), run::toString);
    ReproducibilityPair pair = run.pairs().get(0);
    assertEquals("debian-12", pair.repo());
    assertEquals("bootstrap", pair.target());
    assertNull(pair.verdict());
    assertTrue(run.notes().stream().anyMatch(n -> n.startsWith("photon-2.0: not built, no live worker runs tdnf")),
        run.notes()::toString);
    assertTrue(run.notes().stream().anyMatch(n -> n.startsWith("centos-6.9: not built, its definition is invalid")),
        run.notes()::toString);

    List<BuildCoordinator.Assignment> placed = coordinator.assign(10);
    assertEquals(1, placed.size(), placed::toString);
    BuildView left = coordinator.get(pair.left());
    BuildView right = coordinator.get(pair.right());
    assertEquals(Priority.NIGHTLY, left.priority());
    assertEquals(Priority.NIGHTLY, right.priority());
    assertEquals(BuildState.RUNNING, left.state());
    assertFalse(placed.get(0).pairSide().isSideB());
    assertEquals(BuildState.QUEUED, right.state());
    assertTrue(right.placement().contains("waiting for side A (build " + left.id() + ", RUNNING) to succeed"),
        right.placement());
  }

  @Test
  void aRepoOnlyOneLiveWorkerRunsGetsAFailedPairSayingSoAndNoBuild() throws Exception {
    coordinator.workerSeen(aptWorker("w1"));
    succeededDebianBuild("w1");
    NightlyRuns nightly = runs("off");
    NightlyReport run = nightly.runNow(MEMBER);
    ReproducibilityPair pair = run.pairs().get(0);
    assertEquals(Verdict.Outcome.FAILED, pair.outcome());
    assertNull(pair.left());
    assertTrue(pair.verdict().error().startsWith("only one live worker (w1) runs apt on x86_64: a reproducibility"
        + " pair needs two different workers"), pair.verdict().error());
    nightly.tick();
    NightlyReport ended = nightly.get(run.id());
    assertTrue(ended.ended(), ended::toString);
    assertFalse(ended.allReproducible());
  }

  @Test
  void aPairIsJudgedOnceBothSidesEndedAndThenItsRunEnds() throws Exception {
    coordinator.workerSeen(aptWorker("w1"));
    coordinator.workerSeen(aptWorker("w2"));
    succeededDebianBuild("w2");
    NightlyRuns nightly = runs("off");
    NightlyReport run = nightly.runNow(MEMBER);
    coordinator.assign(10);
    ReproducibilityPair pair = run.pairs().get(0);
    BuildView left = coordinator.get(pair.left());
    builds.finish(left.id(), left.worker(), BuildOutcome.failed("dnf: no package kmod", ErrorKind.DETERMINISTIC,
        List.of()));
    nightly.tick();
    assertNull(nightly.pair(pair.id()).verdict(), "judged while side B is still queued");
    assertFalse(nightly.get(run.id()).ended());

    coordinator.assign(10); // side B: nothing to reproduce
    BuildView right = coordinator.get(pair.right());
    assertEquals(BuildState.FAILED, right.state());
    clock.set(clock.instant().plusSeconds(30));
    nightly.tick();
    ReproducibilityPair judged = nightly.pair(pair.id());
    assertEquals(Verdict.Outcome.FAILED, judged.outcome());
    assertTrue(judged.verdict().error().contains("dnf: no package kmod"), judged.verdict()::toString);
    assertEquals(left.worker(), judged.leftWorker());
    assertEquals(right.worker(), judged.rightWorker());
    NightlyReport ended = nightly.latest();
    assertEquals(run.id(), ended.id());
    assertTrue(ended.ended());
    assertEquals(clock.instant().toString(), ended.finishedAt());
  }

  @Test
  void sideBFailsSayingWhyWhenTheWorkerOfSideAIsTheOnlyCapableOneLeft() throws Exception {
    coordinator.workerSeen(aptWorker("w1"));
    coordinator.workerSeen(aptWorker("w2"));
    String earlier = succeededDebianBuild("w1");
    ReproducibilityPair pair = runs("off").verify(MEMBER, earlier);
    assertEquals(earlier, pair.left());
    assertNull(pair.run());
    coordinator.workerLeft("w2");
    coordinator.assign(10);
    BuildView right = coordinator.get(pair.right());
    assertEquals(BuildState.FAILED, right.state());
    assertTrue(right.error().startsWith("no live worker other than w1 (which built side A, build " + earlier + ")"),
        right.error());
  }

}
