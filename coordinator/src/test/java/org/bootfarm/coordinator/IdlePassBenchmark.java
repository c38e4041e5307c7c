package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.SteppingClock;

/**
 * What the placing loop costs while its live workers can take none of a long queue (ADR 0057): BUILDS queued
 * debian-12 builds (apt) on the SQLite store, one live tdnf worker with a free slot, PASSES ticks of {@link
 * BuildCoordinator#assign} 500 ms apart on a stepped clock. Two rows: heartbeats that change nothing placement reads
 * (the farm at rest), and a heartbeat before each tick that differs in a cache unrelated to the queue, which makes
 * every pass walk the queue, as every pass did before ADR 0057. CPU is this thread's (SQLite runs in it); the
 * store's queue reads are counted through a proxy that hands every call to the real store. Run by
 * bench/idle-placing.sh; prints a Markdown table.
 *
 * <p>Arguments: DIR [BUILDS, default 10000] [PASSES, default 200].
 */
public final class IdlePassBenchmark {
  private IdlePassBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of(args[0])), "idle-");
    int builds = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int passes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    SteppingClock clock = new SteppingClock(Instant.parse("2026-12-07T05:00:00Z"));
    AtomicInteger queueReads = new AtomicInteger();
    try (SqlBuildStore sql = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
        ArtifactStore artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults())) {
      BuildStore store = (BuildStore) Proxy.newProxyInstance(BuildStore.class.getClassLoader(),
          new Class<?>[] {BuildStore.class}, (proxy, method, arguments) -> {
            if (method.getName().startsWith("nextQueued") || method.getName().equals("unnotedQueued")) {
              queueReads.incrementAndGet(); // counted, then done by the real store
            }
            try {
              return method.invoke(sql, arguments);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
      byte[] content = "tether stand-in".getBytes(StandardCharsets.UTF_8);
      String tether = Sha256.of(content);
      artifacts.put(tether, new ByteArrayInputStream(content));
      RepoCatalog repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
      BuildCoordinator coordinator = new BuildCoordinator(store, artifacts, repos, new RendezvousPlacement(), clock,
          Duration.ofMinutes(10), BuildStateListener.NONE);
      List<SubmitRequest> batch = new ArrayList<>();
      for (int i = 0; i < builds; i++) {
        batch.add(new SubmitRequest("debian-12", "bootstrap", Map.of("tether", tether, "unpack", tether), null, null));
        if (batch.size() == 500 || i == builds - 1) {
          coordinator.submitEach(MEMBER, batch);
          batch.clear();
        }
      }
      System.out.println("| " + builds + " queued, " + passes + " ticks of 500 ms | passes that read the queue"
          + " | CPU ms per tick, mean | p50 | p99 | CPU s per hour |");
      System.out.println("|---|---|---|---|---|---|");
      ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
      for (boolean changing : new boolean[] {false, true}) {
        coordinator.workerSeen(worker(false));
        coordinator.assign(16); // the first pass reads the queue and notes every build
        long[] nanos = new long[passes];
        int reading = 0;
        for (int i = 0; i < passes; i++) {
          clock.advance(Duration.ofMillis(500));
          coordinator.workerSeen(worker(changing && i % 2 == 0));
          long before = cpu.getCurrentThreadCpuTime();
          int readsBefore = queueReads.get();
          if (!coordinator.assign(16).isEmpty()) {
            throw new IllegalStateException("a pass placed a build: the worker must fit none");
          }
          nanos[i] = cpu.getCurrentThreadCpuTime() - before;
          reading += queueReads.get() > readsBefore ? 1 : 0;
        }
        Arrays.sort(nanos);
        double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
        System.out.printf("| %s | %d of %d | %.2f | %.2f | %.2f | %.0f |%n", changing
            ? "a differing heartbeat every tick (every pass walks, as before ADR 0057)"
            : "unchanged heartbeats (the farm at rest)", reading, passes, mean, nanos[passes / 2] / 1e6,
            nanos[(int) (passes * 0.99)] / 1e6,
            mean * 2 * 3600 / 1e3);
      }
    }
  }

  /** A tdnf worker with a free slot; with {@code extraCache}, a warm cache no queued build is of. */
  private static WorkerInfo worker(boolean extraCache) {
    return new WorkerInfo("rpm", "node-rpm", "bench", "x86_64", List.of("tdnf"), 1, 0, 100L << 30, extraCache
        ? List.of(new WorkerInfo.WarmCache("photon-1.0", "r1", 1L << 30)) : List.of(), 1000, List.of());
  }
}
