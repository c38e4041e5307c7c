package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildReport;
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
 * Placing passes with live workers that can take none of the queued builds (ADR 0057), against the real SQLite
 * store (counted through a proxy that hands every call to it) and the project's repos/: a pass that placed nothing
 * is not repeated, so the queue is not read again every tick, until something that could place a build happens;
 * after each kind of change (a submission, a report, a cancel, a heartbeat that differs, a worker joining, a
 * lease run out, a backoff's end) the next pass places the build at once, and without any change the queue is read again every
 * {@link LastIdlePass#REREAD}.
 */
@Tag("unit")
class IdlePlacingPassTest {
  private static final Duration TICK = Duration.ofMillis(500);
  private static final Duration LEASE = Duration.ofSeconds(4);
  @TempDir Path dir;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-12-07T05:00:00Z"));
  final AtomicInteger queueReads = new AtomicInteger();
  SqlBuildStore sql;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  String tether;

  @BeforeEach
  void start() throws Exception {
    sql = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    BuildStore counted = (BuildStore) Proxy.newProxyInstance(BuildStore.class.getClassLoader(),
        new Class<?>[] {BuildStore.class}, (proxy, method, args) -> {
          if (method.getName().startsWith("nextQueued") || method.getName().equals("unnotedQueued")) {
            queueReads.incrementAndGet();
          }
          try {
            return method.invoke(sql, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    RepoCatalog repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    coordinator = new BuildCoordinator(counted, artifacts, repos, new RendezvousPlacement(), clock, LEASE,
        BuildStateListener.NONE);
    byte[] content = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
  }

  @AfterEach
  void stop() throws Exception {
    sql.close();
    artifacts.close();
  }

  private String submit(String repo) throws Exception {
    return coordinator.submit(MEMBER, new SubmitRequest(repo, "bootstrap", Map.of("tether", tether, "unpack", tether),
        null, null));
  }

  private static WorkerInfo worker(String id, List<String> managers, List<String> running) {
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", managers, 1, running.size(), 100L << 30, List.of(), 1000,
        running);
  }

  private List<String> assigned() {
    return coordinator.assign(16).stream().map(a -> a.build().id() + " " + a.workerId()).toList();
  }

  /** {@code passes} ticks of the placing loop that place nothing; returns how many queue reads they made. */
  private int idleTicks(int passes) {
    int before = queueReads.get();
    for (int i = 0; i < passes; i++) {
      clock.advance(TICK);
      assertEquals(List.of(), assigned());
    }
    return queueReads.get() - before;
  }

  /** A tdnf worker with a free slot and {@code waiting} debian-12 builds (apt) it cannot take, one pass made. */
  private List<String> debianQueueNoWorkerCanTake(int waiting) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < waiting; i++) {
      ids.add(submit("debian-12"));
    }
    coordinator.workerSeen(worker("rpm", List.of("tdnf"), List.of()));
    assertEquals(List.of(), assigned());
    return ids;
  }

  @Test
  void idlePassesReadTheQueueOnlyEveryRereadWhileNothingChanges() throws Exception {
    debianQueueNoWorkerCanTake(300);
    int ticks = (int) (LastIdlePass.REREAD.toMillis() / TICK.toMillis()) - 1;
    assertEquals(0, idleTicks(ticks - 1), "the queue is not read again while nothing changed");
    coordinator.workerSeen(worker("rpm", List.of("tdnf"), List.of())); // the same heartbeat again
    assertEquals(0, idleTicks(1));
    int reread = idleTicks(1); // REREAD after the last pass that read
    assertTrue(reread >= 300 / PlacingPass.QUEUE_PAGE, "one walk of the queue, read " + reread);
    assertEquals(0, idleTicks(ticks));
  }

  @Test
  void aSubmissionThatFitsIsPlacedAtOnce() throws Exception {
    debianQueueNoWorkerCanTake(3);
    idleTicks(3);
    String photon = submit("photon-2.0");
    assertEquals(List.of(photon + " rpm"), assigned());
  }

  @Test
  void aHeartbeatWithAnotherPackageManagerIsPlacedAtOnce() throws Exception {
    List<String> debian = debianQueueNoWorkerCanTake(3);
    idleTicks(3);
    coordinator.workerSeen(worker("rpm", List.of("tdnf", "apt"), List.of()));
    assertEquals(List.of(debian.get(0) + " rpm"), assigned());
  }

  @Test
  void aJoiningWorkerGetsABuildAtOnce() throws Exception {
    List<String> debian = debianQueueNoWorkerCanTake(3);
    idleTicks(3);
    coordinator.workerSeen(worker("deb", List.of("apt"), List.of()));
    assertEquals(List.of(debian.get(0) + " deb"), assigned());
  }

  /** A full apt worker running the first of two debian-12 builds; the second waits. */
  private List<String> fullWorker() throws Exception {
    String running = submit("debian-12");
    String waiting = submit("debian-12");
    coordinator.workerSeen(worker("deb", List.of("apt"), List.of()));
    assertEquals(List.of(running + " deb"), assigned());
    coordinator.workerSeen(worker("deb", List.of("apt"), List.of(running)));
    assertEquals(List.of(), assigned());
    assertEquals(0, idleTicks(3));
    return List.of(running, waiting);
  }

  @Test
  void aReportThatFreesASlotPlacesTheNextBuildAtOnce() throws Exception {
    List<String> builds = fullWorker();
    LeaseAction done = coordinator.report(new BuildReport(builds.get(0), "deb", 0, BuildState.SUCCEEDED, List.of(),
        List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision());
    assertEquals(List.of(builds.get(1) + " deb"), assigned());
  }

  @Test
  void aCancelThatFreesASlotPlacesTheNextBuildAtOnce() throws Exception {
    List<String> builds = fullWorker();
    coordinator.cancel(MEMBER, builds.get(0));
    assertEquals(List.of(builds.get(1) + " deb"), assigned());
  }

  @Test
  void aRequeuedBuildIsPlacedAtOnceWhenItsBackoffEnds() throws Exception {
    String build = submit("debian-12");
    coordinator.workerSeen(worker("deb", List.of("apt"), List.of()));
    assertEquals(List.of(build + " deb"), assigned());
    LeaseAction failed = coordinator.report(new BuildReport(build, "deb", 0, BuildState.FAILED, List.of(), List.of(),
        "mirror timed out", null, false, null));
    assertEquals(LeaseAction.Decision.REQUEUED, failed.decision(), failed::toString);
    coordinator.workerSeen(worker("deb", List.of("apt"), List.of()));
    assertEquals(List.of(), assigned(), "in its backoff");
    clock.advance(Duration.ofMillis(1_500));
    assertEquals(List.of(), assigned());
    clock.advance(Duration.ofMillis(500)); // the first backoff, 2 s, ends: far sooner than REREAD
    assertEquals(List.of(build + " deb"), assigned());
  }

  @Test
  void aLeaseThatRanOutFreesItsSlotAtOnce() throws Exception {
    List<String> builds = fullWorker(); // claimed under a lease of LEASE, 1.5 s ago
    clock.advance(LEASE.minus(Duration.ofMillis(2_000)));
    coordinator.workerSeen(worker("deb", List.of("apt"), List.of(builds.get(0)))); // heard, renewing nothing
    assertEquals(List.of(), assigned(), "the same heartbeat again changes nothing");
    clock.advance(Duration.ofMillis(500));
    assertEquals(1, coordinator.reconcileLeases());
    assertEquals(BuildState.QUEUED, sql.get(builds.get(0)).orElseThrow().state(), "its lease ran out: re-queued");
    assertEquals(List.of(builds.get(1) + " deb"), assigned());
  }
}
