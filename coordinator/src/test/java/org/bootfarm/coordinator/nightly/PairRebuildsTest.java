package org.bootfarm.coordinator.nightly;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.verdict.ReproducibilityJudge;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.InputDrift;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Side B of a reproducibility pair rebuilds side A's record (it waits for side A to succeed, fails when side A did
 * not, and is recorded as a rebuild of side A's buildinfo), and a nightly pair reports the drift of its inputs
 * since the previous night apart from its verdict. Against the real SQLite store, artifact store, coordinator and
 * placement, with the project's debian-12 definition; workers are heartbeats, builds end through the store as a
 * worker's report would end them, publishing a buildinfo with a chosen lock.
 */
@Tag("unit")
class PairRebuildsTest {
  @TempDir Path dir;
  SteppingClock clock = new SteppingClock(Instant.parse("2026-11-25T01:58:00Z"));
  SqlBuildStore builds;
  NightlyStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  List<String> log = new ArrayList<>();
  Map<String, String> components;

  @BeforeEach
  void start() throws Exception {
    builds = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    store = NightlyStore.open(dir.resolve("builds.sqlite"));
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    coordinator = new BuildCoordinator(builds, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), clock, Duration.ofMinutes(10));
    byte[] tether = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    artifacts.put(Sha256.of(tether), new ByteArrayInputStream(tether));
    components = Map.of("tether", Sha256.of(tether), "unpack", Sha256.of(tether));
    workersSeen();
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    builds.close();
    artifacts.close();
  }

  void workersSeen() {
    coordinator.workerSeen(NightlyRunsTest.aptWorker("w1"));
    coordinator.workerSeen(NightlyRunsTest.aptWorker("w2"));
  }

  NightlyRuns runs() throws Exception {
    return new NightlyRuns(coordinator, builds, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), store, new ReproducibilityJudge(artifacts, ReproducibilityJudge.Options.defaults()),
        new RecordedBuildInfos(artifacts), NightlySchedule.parse("off"), clock, log::add);
  }

  /** A debian-12 build that succeeded on w1 publishing a buildinfo that locks {@code packages}. */
  String succeededBuild(ArtifactRecord... published) throws Exception {
    String id = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", components, Priority.INTERACTIVE,
        null));
    builds.claim(id, "w1", clock.instant().plusSeconds(600), "test");
    builds.finish(id, "w1", BuildOutcome.succeeded(List.of(published)));
    return id;
  }

  void succeed(String buildId, ArtifactRecord buildinfo) {
    BuildRecord running = builds.get(buildId).orElseThrow();
    assertEquals(BuildState.RUNNING, running.state(), running::toString);
    builds.finish(buildId, running.worker(), BuildOutcome.succeeded(List.of(buildinfo)));
  }

  /** One nightly run to its verdict: side A resolves {@code packages}, side B rebuilds side A's buildinfo. */
  ReproducibilityPair night(NightlyRuns nightly, String... packages) throws Exception {
    NightlyReport run = nightly.runNow(MEMBER);
    ReproducibilityPair pair = run.pairs().get(0);
    coordinator.assign(10);
    ArtifactRecord buildinfo = PublishedBuildInfos.publish(artifacts, "debian-12", packages);
    succeed(pair.left(), buildinfo);
    coordinator.assign(10);
    succeed(pair.right(), buildinfo);
    nightly.tick();
    return nightly.pair(pair.id());
  }

  @Test
  void sideBWaitsForSideAToSucceedThenRebuildsItsBuildinfoOnTheOtherWorker() throws Exception {
    succeededBuild(PublishedBuildInfos.publish(artifacts, "debian-12", "base-files 12.4"));
    NightlyRuns nightly = runs();
    ReproducibilityPair pair = nightly.runNow(MEMBER).pairs().get(0);

    assertEquals(List.of(pair.left()), coordinator.assign(10).stream().map(a -> a.build().id()).toList());
    coordinator.assign(10);
    BuildRecord waiting = builds.get(pair.right()).orElseThrow();
    assertEquals(BuildState.QUEUED, waiting.state());
    assertNull(waiting.rebuildOf());
    assertTrue(waiting.placement().contains("waiting for side A (build " + pair.left() + ", RUNNING) to succeed"),
        waiting.placement());

    ArtifactRecord buildinfo = PublishedBuildInfos.publish(artifacts, "debian-12", "base-files 12.4", "kmod 30-1");
    succeed(pair.left(), buildinfo);
    List<BuildCoordinator.Assignment> placed = coordinator.assign(10);
    assertEquals(1, placed.size(), placed::toString);
    BuildCoordinator.Assignment sideB = placed.get(0);
    assertEquals(pair.right(), sideB.build().id());
    assertTrue(sideB.pairSide().isSideB());
    assertEquals(buildinfo.sha256(), sideB.pinnedBuildinfo(), "side B installs side A's lock");
    assertEquals(pair.left(), sideB.build().rebuildOf());
    BuildRecord rebuild = builds.get(pair.right()).orElseThrow();
    assertEquals(pair.left(), rebuild.rebuildOf());
    assertEquals(buildinfo.sha256(), rebuild.pinnedBuildinfo());
    assertEquals(builds.get(pair.left()).orElseThrow().definitionDigest(), rebuild.definitionDigest());
    String sideAWorker = builds.get(pair.left()).orElseThrow().worker();
    assertNotEquals(sideAWorker, rebuild.worker());
    assertTrue(rebuild.placement().startsWith("second choice after " + sideAWorker), rebuild.placement());

    succeed(pair.right(), buildinfo);
    nightly.tick();
    ReproducibilityPair judged = nightly.pair(pair.id());
    assertEquals(Verdict.Outcome.REPRODUCIBLE, judged.outcome(), judged::toString);
    assertEquals(buildinfo.sha256(), judged.rebuiltFrom());
  }

  @Test
  void sideBFailsAtOnceWhenSideAFailedOrWasCancelled() throws Exception {
    succeededBuild(PublishedBuildInfos.publish(artifacts, "debian-12", "base-files 12.4"));
    NightlyRuns nightly = runs();
    ReproducibilityPair failed = nightly.runNow(MEMBER).pairs().get(0);
    coordinator.assign(10);
    BuildRecord sideA = builds.get(failed.left()).orElseThrow();
    builds.finish(sideA.id(), sideA.worker(), BuildOutcome.failed("apt: no package kmod", ErrorKind.DETERMINISTIC,
        List.of()));
    assertEquals(List.of(), coordinator.assign(10));
    BuildRecord sideB = builds.get(failed.right()).orElseThrow();
    assertEquals(BuildState.FAILED, sideB.state());
    assertEquals("side A (build " + sideA.id() + ") ended FAILED, so there is nothing to reproduce: side B rebuilds"
        + " side A's record once side A succeeds", sideB.error());
    nightly.tick();
    assertEquals(Verdict.Outcome.FAILED, nightly.pair(failed.id()).outcome());

    clock.set(clock.instant().plusSeconds(60));
    ReproducibilityPair cancelled = nightly.runNow(MEMBER).pairs().get(0);
    builds.cancel(cancelled.left());
    coordinator.assign(10);
    assertTrue(builds.get(cancelled.right()).orElseThrow().error().startsWith("side A (build " + cancelled.left()
        + ") ended CANCELLED, so there is nothing to reproduce"));
  }

  @Test
  void verifyRecordsItsRebuildOfTheVerifiedBuildsRecordAtSubmission() throws Exception {
    ArtifactRecord buildinfo = PublishedBuildInfos.publish(artifacts, "debian-12", "base-files 12.4");
    String original = succeededBuild(buildinfo);
    ReproducibilityPair pair = runs().verify(MEMBER, original);
    assertEquals(buildinfo.sha256(), pair.rebuiltFrom());
    BuildRecord rebuild = builds.get(pair.right()).orElseThrow();
    assertEquals(BuildState.QUEUED, rebuild.state());
    assertEquals(original, rebuild.rebuildOf());
    assertEquals(buildinfo.sha256(), rebuild.pinnedBuildinfo());
    assertNotNull(rebuild.definitionDigest());
    assertEquals(builds.get(original).orElseThrow().definitionDigest(), rebuild.definitionDigest());

    BuildCoordinator.Assignment placed = coordinator.assign(10).get(0);
    assertEquals(buildinfo.sha256(), placed.pinnedBuildinfo());
    assertEquals("w2", placed.workerId());
  }

  @Test
  void pinningAsARebuildTakesTheOriginalsDefinitionOnceAndOnlyWhileQueued() throws Exception {
    String id = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", components, Priority.INTERACTIVE,
        null));
    String own = builds.get(id).orElseThrow().definitionDigest();
    String theOriginals = "e".repeat(64);
    assertNotEquals(own, theOriginals);
    BuildRecord pinned = builds.pinAsRebuild(id, "b-original", "f".repeat(64), theOriginals).orElseThrow();
    assertEquals("b-original", pinned.rebuildOf());
    assertEquals(theOriginals, pinned.definitionDigest());
    assertTrue(builds.pinAsRebuild(id, "b-original", "f".repeat(64), theOriginals).isPresent(), "same pin again");
    assertTrue(builds.pinAsRebuild(id, "b-other", "f".repeat(64), theOriginals).isEmpty(), "a rebuild of another");
    String older = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", components,
        Priority.INTERACTIVE, null));
    assertEquals(own, builds.pinAsRebuild(older, "b-unpinned", "f".repeat(64), null).orElseThrow().definitionDigest(),
        "an original recorded before definitions were pinned leaves the build's own");
    builds.claim(older, "w1", clock.instant().plusSeconds(600), "test");
    String running = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", components,
        Priority.INTERACTIVE, null));
    builds.claim(running, "w1", clock.instant().plusSeconds(600), "test");
    assertTrue(builds.pinAsRebuild(running, "b-original", "f".repeat(64), null).isEmpty(), "no longer QUEUED");
  }

  @Test
  void verifyOfABuildThatPublishedNoBuildinfoIsRefusedSayingSo() throws Exception {
    String old = succeededBuild();
    ApiException refused = assertThrows(ApiException.class, () -> runs().verify(MEMBER, old));
    assertEquals(ApiError.Code.CONFLICT, refused.error().code());
    assertTrue(refused.getMessage().startsWith("build " + old + " published no buildinfo.json, so it cannot be"
        + " rebuilt from its record"), refused.getMessage());
  }

  @Test
  void theNextNightReportsUpgradedAddedAndRemovedPackagesBesideAReproducibleVerdict() throws Exception {
    succeededBuild(PublishedBuildInfos.publish(artifacts, "debian-12", "base-files 12.4"));
    ReproducibilityPair first = night(runs(), "base-files 12.4", "kmod 30-1", "zlib1g 1.2.13");
    assertEquals(Verdict.Outcome.REPRODUCIBLE, first.outcome(), first::toString);
    assertEquals("no previous inputs to compare: no earlier nightly run built debian-12 bootstrap successfully",
        first.drift().note());

    clock.set(clock.instant().plus(Duration.ofDays(1)));
    workersSeen();
    ReproducibilityPair second = night(runs(), "base-files 12.4", "kmod 31-1", "xz-utils 5.4.1");
    assertEquals(Verdict.Outcome.REPRODUCIBLE, second.outcome(), second::toString);
    InputDrift drift = second.drift();
    assertEquals(first.id(), drift.previousPair());
    assertEquals(first.left(), drift.previousBuild());
    assertEquals(List.of(new InputDrift.VersionChange("kmod", "x86_64", "30-1", "31-1")), drift.upgraded());
    assertEquals(List.of("xz-utils-5.4.1.x86_64"), drift.added());
    assertEquals(List.of("zlib1g-1.2.13.x86_64"), drift.removed());
    assertTrue(NightlyPage.render(runs().latest()).contains("upgraded kmod.x86_64 30-1 \u2192 31-1"));

    clock.set(clock.instant().plus(Duration.ofDays(1)));
    workersSeen();
    ReproducibilityPair third = night(runs(), "base-files 12.4", "kmod 31-1", "xz-utils 5.4.1");
    assertTrue(third.drift().none(), third.drift()::toString);
    assertEquals("no drift since pair " + second.id(), third.drift().summary());
  }

  @Test
  void driftSaysThereAreNoPreviousInputsWhenThePreviousBuildinfoIsGone() throws Exception {
    succeededBuild(PublishedBuildInfos.publish(artifacts, "debian-12", "base-files 12.4"));
    ReproducibilityPair first = night(runs(), "base-files 12.4", "kmod 30-1");
    String collected = builds.get(first.left()).flatMap(RecordedBuildInfos::buildinfoOf).orElseThrow();
    artifacts.delete(collected);

    clock.set(clock.instant().plus(Duration.ofDays(1)));
    workersSeen();
    ReproducibilityPair second = night(runs(), "base-files 12.4", "kmod 31-1");
    assertTrue(second.drift().note().startsWith("no previous inputs to compare: the previous run's side A (build "
        + first.left() + ", pair " + first.id() + "): buildinfo " + collected + " is not in the artifact store"),
        second.drift().note());
    assertEquals(Verdict.Outcome.REPRODUCIBLE, second.outcome());
  }

  @Test
  void aPackageInstalledInSeveralVersionsComparesAsAddedAndRemovedVersions() {
    Lock before = new Lock("dnf", List.of(new LockedPackage("kernel", "6.1-1", "x86_64", "a", 0),
        new LockedPackage("kernel", "6.1-2", "x86_64", "b", 0)));
    Lock after = new Lock("dnf", List.of(new LockedPackage("kernel", "6.1-2", "x86_64", "b", 0),
        new LockedPackage("kernel", "6.1-3", "x86_64", "c", 0)));
    InputDrift drift = NightlyDrift.compare("p", "b1", before, after);
    assertEquals(List.of("kernel-6.1-3.x86_64"), drift.added());
    assertEquals(List.of("kernel-6.1-1.x86_64"), drift.removed());
    assertEquals(List.of(), drift.upgraded());
  }
}
