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
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The placing pass while no worker is live (ADR 0051), against the real SQLite and artifact stores and the project's
 * repos/: it notes why each new build waits, once, without walking the builds it noted before (a note changed behind
 * its back stays changed) until {@link IdleRewalk#EVERY} has passed or a worker was seen; and the first worker
 * to join still gets the queue's builds in submission order.
 */
@Tag("unit")
class PlacingWithoutWorkersTest {
  private static final String NO_WORKER = "no live worker runs apt: no worker has joined";
  @TempDir Path dir;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-12-06T23:00:00Z"));
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  String component;

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    coordinator = new BuildCoordinator(store, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), clock, Duration.ofMinutes(10));
    byte[] content = "component stand-in".getBytes(StandardCharsets.UTF_8);
    component = artifacts.put(Sha256.of(content), new ByteArrayInputStream(content)).sha256();
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  private List<String> submit(int builds) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < builds; i++) {
      ids.add(coordinator.submit(MEMBER, new SubmitRequest("debian-12", null,
          Map.of("tether", component, "unpack", component), null, null)));
    }
    return ids;
  }

  private String placement(String id) {
    return store.get(id).orElseThrow().placement();
  }

  @Test
  void aPassWithNoLiveWorkerNotesOnlyTheNewBuildsUntilItIsTimeToWalkTheQueueAgain() throws Exception {
    List<String> first = submit(2 * PlacingPass.QUEUE_PAGE + 3); // more than one page
    assertEquals(List.of(), coordinator.assign(16));
    for (String id : first) {
      assertTrue(placement(id).startsWith(NO_WORKER), id + ": " + placement(id));
    }
    // a note the pass did not write: a pass that read this build again would write its reason back
    String old = first.get(0);
    store.notePlacement(old, "a note no pass wrote");

    clock.advance(Duration.ofSeconds(1));
    List<String> later = submit(PlacingPass.QUEUE_PAGE + 1);
    assertEquals(List.of(), coordinator.assign(16));
    for (String id : later) {
      assertTrue(placement(id).startsWith(NO_WORKER), "a new build is noted by the next pass: " + placement(id));
    }
    assertEquals("a note no pass wrote", placement(old), "the pass read a build it had noted before");

    clock.advance(IdleRewalk.EVERY);
    assertEquals(List.of(), coordinator.assign(16));
    assertTrue(placement(old).startsWith(NO_WORKER), "after IdleRewalk.EVERY the whole queue is walked: " + placement(old));
  }

  @Test
  void aWorkerSeenInBetweenMakesTheNextPassWithoutWorkersWalkTheWholeQueue() throws Exception {
    List<String> ids = submit(3);
    coordinator.assign(16);
    store.notePlacement(ids.get(1), "a note no pass wrote");
    coordinator.workerSeen(worker("rpm-box", List.of("tdnf"), 1)); // live, but runs no apt: nothing placed
    assertEquals(List.of(), coordinator.assign(16));
    assertTrue(placement(ids.get(1)).contains("no live worker runs apt (the 1 live workers run tdnf)"),
        placement(ids.get(1)));
    coordinator.workerLeft("rpm-box");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(List.of(), coordinator.assign(16));
    assertTrue(placement(ids.get(2)).startsWith(NO_WORKER), "the worker left: walked again, " + placement(ids.get(2)));
  }

  @Test
  void theFirstWorkerToJoinGetsTheQueuesBuildsInSubmissionOrder() throws Exception {
    List<String> ids = submit(PlacingPass.QUEUE_PAGE + 5);
    for (int pass = 0; pass < 3; pass++) {
      assertEquals(List.of(), coordinator.assign(16));
      clock.advance(Duration.ofMillis(500));
    }
    coordinator.workerSeen(worker("debian-box", List.of("apt"), 4));
    List<String> placed = coordinator.assign(16).stream().map(a -> a.build().id()).toList();
    assertEquals(ids.subList(0, 4), placed);
    assertEquals(BuildState.QUEUED, store.get(ids.get(4)).orElseThrow().state());
    clock.advance(Duration.ofMillis(500));
    assertEquals(List.of(), coordinator.assign(16), "the worker holds its most builds (one per slot)");
  }

  private static WorkerInfo worker(String id, List<String> managers, int slots) {
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", managers, slots, 0, 100L << 30, List.of(), 1000,
        List.of());
  }
}
