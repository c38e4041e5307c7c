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
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.build.ArtifactRecord;
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
import org.bootfarm.testkit.SteppingClock;

/**
 * The run transitions {@link BuildCoordinator} owns besides placing: heartbeats renew only the holder's
 * leases, a report finishes the build or is refused (another worker's; one naming artifacts the store does not
 * hold as reported, whose run is retried), and a departed worker's run goes back to the queue; every decision is
 * told to the listener.
 */
@Tag("unit")
class BuildCoordinatorRunsTest {
  @TempDir Path dir;
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  final List<LeaseAction> decided = new ArrayList<>();
  final List<String> refusedReports = new ArrayList<>();
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));
  String tether;

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    BuildStateListener listener = new BuildStateListener() {
      @Override
      public void changed(BuildView build, String text) {
      }

      @Override
      public void leaseDecided(LeaseAction action) {
        decided.add(action);
      }

      @Override
      public void reportRefused(String buildId, String workerId, String why) {
        refusedReports.add(buildId + ": " + why);
      }
    };
    coordinator = new BuildCoordinator(store, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), clock,
        new LeasePolicy(Duration.ofSeconds(10), Duration.ofSeconds(1)), RetryPolicy.DEFAULT, listener, "photon-2.0");
    byte[] content = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }


  private static WorkerInfo worker(String id, List<String> running) {
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", List.of("apt"), 1, 0, 100L << 30, List.of(), 1000,
        running);
  }

  /** Submits a debian-12 build and places it on w1. */
  private String runningOnW1() throws Exception {
    String id = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", Map.of("tether", tether, "unpack", tether),
        Priority.INTERACTIVE, null));
    coordinator.workerSeen(worker("w1", List.of()));
    assertEquals(id, coordinator.assign(1).get(0).build().id());
    return id;
  }

  @Test
  void aOneSlotWorkerIsLeasedOneBuildAtATimeAndTheRestWaitQueued() throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", Map.of("tether", tether,
          "unpack", tether), Priority.INTERACTIVE, null)));
    }
    coordinator.workerSeen(worker("w1", List.of()));
    assertEquals(List.of(ids.get(0)), coordinator.assign(16).stream().map(a -> a.build().id()).toList());
    assertEquals(List.of(), coordinator.assign(16), "w1's one slot is taken: nothing more is leased to it");
    assertEquals(BuildState.QUEUED, store.get(ids.get(1)).orElseThrow().state());
    assertEquals(BuildState.QUEUED, store.get(ids.get(2)).orElseThrow().state());
    coordinator.report(new BuildReport(ids.get(0), "w1", 0, BuildState.SUCCEEDED, List.of(), List.of(), null, null,
        false, null));
    coordinator.workerSeen(worker("w1", List.of()));
    assertEquals(List.of(ids.get(1)), coordinator.assign(16).stream().map(a -> a.build().id()).toList(),
        "the report freed the slot: the next build is leased");
  }

  @Test
  void aReportedBuildFreesItsSlotBeforeTheWorkersNextHeartbeatSoTheRepoStaysOnItsWarmWorker() throws Exception {
    SubmitRequest debian = new SubmitRequest("debian-12", "bootstrap", Map.of("tether", tether, "unpack", tether),
        Priority.INTERACTIVE, null);
    String first = coordinator.submit(MEMBER, debian);
    coordinator.workerSeen(worker("w1", List.of()));
    coordinator.workerSeen(worker("w2", List.of()));
    String home = coordinator.assign(16).get(0).workerId();
    String other = home.equals("w1") ? "w2" : "w1";
    // the home worker's last heartbeat still counts the build busy on its one slot
    coordinator.workerSeen(new WorkerInfo(home, "node-" + home, "test", "x86_64", List.of("apt"), 1, 1, 100L << 30,
        List.of(), 1000, List.of(first)));
    coordinator.report(new BuildReport(first, home, 0, BuildState.SUCCEEDED, List.of(), List.of(), null, null,
        false, null));
    String second = coordinator.submit(MEMBER, debian);
    List<BuildCoordinator.Assignment> placed = coordinator.assign(16);
    assertEquals(List.of(second), placed.stream().map(a -> a.build().id()).toList());
    assertEquals(home, placed.get(0).workerId(), "not " + other + ": the reported build no longer holds the slot");
  }

  @Test
  void aHeartbeatRenewsOnlyTheLeasesItsWorkerHolds() throws Exception {
    String id = runningOnW1();
    Instant claimed = store.get(id).orElseThrow().leaseExpiry();
    clock.advance(Duration.ofSeconds(5));
    coordinator.renewLeases(worker("w2", List.of(id)));
    assertEquals(claimed, store.get(id).orElseThrow().leaseExpiry(), "w2 holds no lease on " + id);
    coordinator.renewLeases(worker("w1", List.of(id)));
    assertTrue(store.get(id).orElseThrow().leaseExpiry().isAfter(claimed), "w1's heartbeat renewed its lease");
  }

  @Test
  void aReportFromTheHolderFinishesTheBuildAndOneFromAnotherWorkerIsRefused() throws Exception {
    String id = runningOnW1();
    LeaseAction refused = coordinator.report(new BuildReport(id, "w2", 0, BuildState.SUCCEEDED, List.of(), List.of(),
        null, null, false, null));
    assertEquals(LeaseAction.Decision.REFUSED, refused.decision(), refused::toString);
    LeaseAction done = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, List.of(), List.of(),
        null, null, false, null));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision(), done::toString);
    assertEquals(BuildState.SUCCEEDED, coordinator.get(id).state());
    assertEquals(List.of(refused, done), decided);
  }

  @Test
  void aReportSentAgainAfterItsAnswerWasLostIsAnsweredRecordedAndChangesNothing() throws Exception {
    String id = runningOnW1();
    long size = artifacts.size(tether);
    BuildReport report = new BuildReport(id, "w1", 0, BuildState.SUCCEEDED,
        List.of(new ArtifactRecord("tether-copy", tether, size)), List.of(), null, null, false, tether);
    assertEquals(LeaseAction.Decision.SUCCEEDED, coordinator.report(report).decision());
    BuildRecord recorded = store.get(id).orElseThrow();
    clock.advance(Duration.ofSeconds(30)); // the worker's answer was lost; it sends the same report again
    LeaseAction again = coordinator.report(report);
    assertEquals(LeaseAction.Decision.REPEATED, again.decision(), again::toString);
    assertTrue(again.reason().contains("recorded then as SUCCEEDED, and nothing changed now"), again::toString);
    assertEquals(recorded, store.get(id).orElseThrow(), "the repeat changed the record");
    assertEquals(1, decided.size(), "a repeat is not told as a second decision: " + decided);
    // a report that differs from the recorded one in anything is no repeat: refused as too late
    for (BuildReport other : List.of(
        new BuildReport(id, "w2", 0, BuildState.SUCCEEDED, report.artifacts(), List.of(), null, null, false, tether),
        new BuildReport(id, "w1", 1, BuildState.SUCCEEDED, report.artifacts(), List.of(), null, null, false, tether),
        new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, List.of(new ArtifactRecord("other", tether, size)),
            List.of(), null, null, false, tether),
        new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, report.artifacts(), List.of(), null, null, false, null),
        new BuildReport(id, "w1", 0, BuildState.FAILED, List.of(), List.of(), "boom", "PACKAGE", true, tether))) {
      LeaseAction refused = coordinator.report(other);
      assertEquals(LeaseAction.Decision.REFUSED, refused.decision(), () -> other + " -> " + refused);
      assertTrue(refused.reason().contains("is already SUCCEEDED"), refused::toString);
    }
    assertEquals(recorded, store.get(id).orElseThrow(), "a refused late report changed the record");
  }

  @Test
  void aDepartedWorkersRunGoesBackToTheQueueOnceOtherWorkersAreHeard() throws Exception {
    String id = runningOnW1();
    coordinator.workerLeft("w1");
    assertEquals(0, coordinator.takeBackRunsOf("w1"), "nothing heard since w1 left: this coordinator may be cut off");
    assertEquals(BuildState.RUNNING, coordinator.get(id).state());
    clock.advance(Duration.ofSeconds(1));
    coordinator.workerSeen(worker("w2", List.of()));
    assertEquals(0, coordinator.reconcileLeases(), "w1 gets one renewal period to be heard too");
    clock.advance(Duration.ofSeconds(4));
    assertEquals(1, coordinator.reconcileLeases(), "w2 is heard and w1 is not: w1 is gone");
    assertEquals(BuildState.QUEUED, coordinator.get(id).state());
    assertEquals(LeaseAction.Decision.REQUEUED, decided.get(0).decision(), decided::toString);
    assertTrue(decided.get(0).reason().contains("run 1 of 3 lost: worker w1 left the cluster"), decided::toString);
  }

  @Test
  void aReportNamingAnArtifactTheStoreLacksIsRefusedNothingRecordedAndTheRunRetried() throws Exception {
    String id = runningOnW1();
    String absent = "ab".repeat(32);
    LeaseAction action = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED,
        List.of(new ArtifactRecord("bootstrap-debian-12.iso", absent, 1234)), List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.REQUEUED, action.decision(), action::toString);
    BuildRecord after = store.get(id).orElseThrow();
    assertEquals(BuildState.QUEUED, after.state());
    assertEquals(List.of(), after.artifacts(), "nothing of the refused report is recorded");
    assertTrue(after.error().contains("artifact bootstrap-debian-12.iso (sha256 " + absent + ", 1234 bytes): not in"
        + " the coordinator's artifact store"), after.error());
    assertEquals(1, refusedReports.size(), refusedReports::toString);
    assertEquals(List.of(action), decided);
  }

  @Test
  void aReportWhoseArtifactSizeIsWrongIsRefusedAndAHeldOneIsRecorded() throws Exception {
    String id = runningOnW1();
    long size = artifacts.size(tether);
    LeaseAction wrong = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED,
        List.of(new ArtifactRecord("buildinfo.json", tether, size + 1)), List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.REQUEUED, wrong.decision(), wrong::toString);
    assertTrue(store.get(id).orElseThrow().error().contains("the artifact store holds " + size + " bytes under that"
        + " sha256"), () -> store.get(id).orElseThrow().error());
    clock.advance(Duration.ofMinutes(2)); // past the retry's backoff
    String again = id;
    assertEquals(again, coordinator.assign(1).get(0).build().id());
    LeaseAction done = coordinator.report(new BuildReport(id, "w1", 1, BuildState.SUCCEEDED,
        List.of(new ArtifactRecord("tether-copy", tether, size)), List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision(), done::toString);
    assertEquals(List.of(new ArtifactRecord("tether-copy", tether, size)), store.get(id).orElseThrow().artifacts());
  }

  @Test
  void aReportNamingAMalformedHashOrAMissingLogIsRefused() throws Exception {
    String id = runningOnW1();
    LeaseAction action = coordinator.report(new BuildReport(id, "w1", 0, BuildState.FAILED,
        List.of(new ArtifactRecord("x", "../../etc/passwd", 1)), List.of(), "boom", "PACKAGE", true, "cd".repeat(32)));
    assertEquals(LeaseAction.Decision.REQUEUED, action.decision(), "refused, so retried though it said deterministic");
    String error = store.get(id).orElseThrow().error();
    assertTrue(error.contains("not a lower-case hex sha256"), error);
    assertTrue(error.contains("log (sha256 " + "cd".repeat(32) + "): not in the coordinator's artifact store"), error);
  }
}
