package org.bootfarm.coordinator.queue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bootfarm.testkit.SteppingClock;

/**
 * Measures what a mass loss of workers costs the coordinator on this machine's disk: one
 * {@link LeaseReconciler#reconcile} that re-queues BUILDS expired leases (one durable transaction
 * each), {@link LeaseReconciler#workerLeft} per worker of 4 builds, {@link LeaseReconciler#afterRestart}
 * over BUILDS running builds (one transaction), and transient failure reports. Run by
 * bench/lease-reconciler.sh; prints a Markdown table.
 *
 * <p>Arguments: DIR (a directory on the disk to measure) [BUILDS, default 400].
 */
public final class LeaseReconcilerBenchmark {
  private static final int BUILDS_PER_WORKER = 4;

  private LeaseReconcilerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int builds = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    Files.createDirectories(dir);
    Path file = Files.createTempDirectory(dir, "leases-").resolve("builds.sqlite");
    SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));
    LeasePolicy lease = LeasePolicy.DEFAULT;
    System.out.println("| operation | n | per second | p50 ms | p99 ms |");
    System.out.println("|---|---|---|---|---|");
    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      LeaseReconciler reconciler = new LeaseReconciler(store, lease, new RetryPolicy(1000, Duration.ofSeconds(2),
          Duration.ofSeconds(60)));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < builds; i++) {
        String id = store.nextId();
        store.insert(BuildRecord.queued(id, "repo-" + i, "bootstrap", Map.of("tether", "11".repeat(32)),
            BuildPriority.NIGHTLY, "{}", clock.instant()));
        ids.add(id);
      }

      claimAll(store, clock, lease, ids);
      clock.advance(lease.duration());
      long start = System.nanoTime();
      int requeued = reconciler.reconcile(clock.instant()).size();
      long took = System.nanoTime() - start;
      System.out.printf("| reconcile: %d expired leases re-queued in one call | %d | %.0f | %.2f (whole call) | |%n",
          requeued, 1, requeued / (took / 1e9), took / 1e6);

      clock.advance(Duration.ofMinutes(2));
      claimAll(store, clock, lease, ids);
      long[] leftNanos = new long[builds / BUILDS_PER_WORKER];
      start = System.nanoTime();
      for (int w = 0; w < leftNanos.length; w++) {
        long t = System.nanoTime();
        reconciler.workerLeft("w" + w, clock.instant());
        leftNanos[w] = System.nanoTime() - t;
      }
      row("workerLeft (" + BUILDS_PER_WORKER + " builds each)", leftNanos, System.nanoTime() - start);

      clock.advance(Duration.ofMinutes(2));
      claimAll(store, clock, lease, ids);
      clock.advance(Duration.ofMinutes(1)); // the coordinator was down: every lease ran out
      start = System.nanoTime();
      int extended = reconciler.afterRestart(clock.instant()).size();
      took = System.nanoTime() - start;
      System.out.printf("| afterRestart: %d leases extended in one transaction | %d | %.0f | %.2f (whole call) | |%n",
          extended, 1, extended / (took / 1e9), took / 1e6);

      long[] failureNanos = new long[builds];
      start = System.nanoTime();
      for (int i = 0; i < builds; i++) {
        long t = System.nanoTime();
        reconciler.onFailure(ids.get(i), "w" + i / BUILDS_PER_WORKER, "mirror unreachable", ErrorKind.TRANSIENT,
            clock.instant());
        failureNanos[i] = System.nanoTime() - t;
      }
      row("onFailure TRANSIENT (re-queue)", failureNanos, System.nanoTime() - start);
    }
  }

  private static void claimAll(SqlBuildStore store, SteppingClock clock, LeasePolicy lease, List<String> ids) {
    for (int i = 0; i < ids.size(); i++) {
      store.claim(ids.get(i), "w" + i / BUILDS_PER_WORKER, lease.leaseUntil(clock.instant()), "benchmark")
          .orElseThrow(() -> new IllegalStateException("a build the benchmark re-queued could not be claimed"));
    }
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
