package org.bootfarm.coordinator.queue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * Measures the SQLite build store on this machine's disk: durable inserts one after another and
 * from 4 and 16 threads (group commit), a whole claim → renew → finish cycle, reading the head of a deep queue, and
 * reopening a large file. Run by bench/build-store.sh; prints a Markdown table.
 *
 * <p>Arguments: DIR (a directory on the disk to measure) [BUILDS, default 2000] [DEEP_QUEUE, default 10000].
 */
public final class BuildStoreBenchmark {
  private BuildStoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int builds = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int deep = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    Files.createDirectories(dir);
    Path file = Files.createTempDirectory(dir, "store-").resolve("builds.sqlite");
    Clock clock = Clock.systemUTC();
    Map<String, String> components = Map.of("tether", "11".repeat(32), "unpack", "22".repeat(32));
    System.out.println("| operation | n | per second | p50 ms | p99 ms |");
    System.out.println("|---|---|---|---|---|");

    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      List<String> ids = new ArrayList<>();
      long[] nanos = new long[builds];
      long start = System.nanoTime();
      for (int i = 0; i < builds; i++) {
        long t = System.nanoTime();
        String id = store.nextId();
        store.insert(BuildRecord.queued(id, "repo-" + (i % 50), "bootstrap", components,
            i % 3 == 0 ? BuildPriority.INTERACTIVE : BuildPriority.NIGHTLY, "{}", clock.instant()));
        nanos[i] = System.nanoTime() - t;
        ids.add(id);
      }
      row("insert (durable, sequential)", nanos, System.nanoTime() - start);

      for (int threads : new int[] {4, 16}) {
        long[] threaded = new long[builds];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long begin = System.nanoTime();
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int first = t;
          work.add(pool.submit(() -> {
            for (int i = first; i < builds; i += threads) {
              long t0 = System.nanoTime();
              store.insert(BuildRecord.queued(store.nextId(), "repo-" + (i % 50), "bootstrap", components,
                  BuildPriority.NIGHTLY, "{}", clock.instant()));
              threaded[i] = System.nanoTime() - t0;
            }
            return null;
          }));
        }
        for (Future<?> f : work) {
          f.get();
        }
        row("insert (durable, " + threads + " threads, group commit)", threaded, System.nanoTime() - begin);
        pool.shutdown();
      }

      long[] cycle = new long[builds];
      ArtifactRecord iso = new ArtifactRecord("bootstrap.iso", "33".repeat(32), 1 << 20);
      start = System.nanoTime();
      for (int i = 0; i < builds; i++) {
        long t = System.nanoTime();
        String id = ids.get(i);
        store.claim(id, "w1", clock.instant().plus(Duration.ofSeconds(15)), "bench").orElseThrow();
        store.renewLease(id, "w1", clock.instant().plus(Duration.ofSeconds(30))).orElseThrow();
        store.finish(id, "w1", BuildOutcome.succeeded(List.of(iso))).orElseThrow();
        cycle[i] = System.nanoTime() - t;
      }
      row("claim + renew + finish", cycle, System.nanoTime() - start);

      while (store.nextQueued(clock.instant(), 1_000_000).size() < deep) {
        for (int i = 0; i < 500; i++) {
          store.insert(BuildRecord.queued(store.nextId(), "repo-" + (i % 50), "bootstrap", components,
              BuildPriority.NIGHTLY, "{}", clock.instant()));
        }
      }
      int reads = 2000;
      long[] head = new long[reads];
      start = System.nanoTime();
      for (int i = 0; i < reads; i++) {
        long t = System.nanoTime();
        store.nextQueued(clock.instant()).orElseThrow();
        head[i] = System.nanoTime() - t;
      }
      row("nextQueued with " + deep + "+ queued", head, System.nanoTime() - start);

      long[] lists = new long[200];
      start = System.nanoTime();
      for (int i = 0; i < lists.length; i++) {
        long t = System.nanoTime();
        store.list(new BuildFilter("repo-7", null, 100));
        lists[i] = System.nanoTime() - t;
      }
      row("list 100 of one repo", lists, System.nanoTime() - start);
    }
    long t = System.nanoTime();
    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      long opened = System.nanoTime() - t;
      row("reopen (" + store.list(BuildFilter.newest(1_000_000)).size() + " builds)", new long[] {opened}, opened);
    }
    System.out.printf("%nfile: %d kB (+ WAL %d kB)%n", Files.size(file) / 1024,
        Files.exists(Path.of(file + "-wal")) ? Files.size(Path.of(file + "-wal")) / 1024 : 0);
  }

  private static void row(String operation, long[] nanos, long totalNanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double p50 = sorted[sorted.length / 2] / 1e6;
    double p99 = sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6;
    System.out.printf("| %s | %d | %.0f | %.2f | %.2f |%n", operation, nanos.length,
        nanos.length / (totalNanos / 1e9), p50, p99);
  }
}
