package org.bootfarm.worker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.bootfarm.protocol.build.StageRecord;

/**
 * A worker's meters of docs/metrics.md: the builds it ran to an end by repo, target and outcome, its
 * slots and busy slots, each stage's run time, and how the builds used the per-repo package cache. Fed
 * from each build's report as the agent sends it, whichever engine ran it: a varied build (side B of a
 * pair) runs in an engine process of its own, but its result comes back to the agent and is counted here.
 */
public final class WorkerMetrics {
  /** Buckets of stage run times: half a second to an hour. */
  static final Duration[] STAGE_BUCKETS = seconds(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600);

  private final MeterRegistry registry;
  /** Repo to the bytes of its package cache after its latest build here. */
  private final Map<String, AtomicLong> cacheBytes = new ConcurrentHashMap<>();

  /**
   * @param slots the build slots this worker offers
   * @param busy how many of them run a build now
   */
  public WorkerMetrics(MeterRegistry registry, int slots, IntSupplier busy) {
    this.registry = registry;
    Gauge.builder("bootfarm.slots", () -> slots).description("build slots this worker offers").register(registry);
    Gauge.builder("bootfarm.slots.busy", busy::getAsInt).description("of those, slots running a build now")
        .register(registry);
    for (String reason : List.of("malformed_assignment", "unreadable", "unauthenticated")) {
      inboxRefused(reason, 0); // present at 0 from the start, so an alert sees the first one as an increase
    }
  }

  /** A message on the inbox was refused for {@code reason} (malformed_assignment, unreadable, unauthenticated). */
  public void inboxRefused(String reason) {
    inboxRefused(reason, 1);
  }

  private void inboxRefused(String reason, int count) {
    Counter.builder("bootfarm.worker.inbox.refused").description("inbox messages this worker refused to act on")
        .tag("reason", reason).register(registry).increment(count);
  }

  /** A build of {@code repo} and {@code target} ended here as {@code report} says (before it is sent). */
  public void buildEnded(String repo, String target, BuildReport report) {
    Counter.builder("bootfarm.worker.builds").description("builds this worker ran to an end")
        .tags("repo", repo, "target", target, "outcome", report.state().name().toLowerCase(Locale.ROOT))
        .register(registry).increment();
    for (StageRecord stage : report.stages()) {
      Timer.builder("bootfarm.stage.duration").description("each stage's run time")
          .tags("repo", repo, "target", target, "stage", stage.name())
          .serviceLevelObjectives(STAGE_BUCKETS)
          .register(registry).record(Duration.ofNanos(Math.round(stage.seconds() * 1e9)));
      Counter.builder("bootfarm.stages").description("stages this worker ran to an end, built or restored from"
              + " the stage cache")
          .tags("repo", repo, "target", target, "stage", stage.name(), "source", stage.cached() ? "cache" : "built")
          .register(registry).increment();
    }
    PackageCacheUse cache = report.packageCache();
    if (cache != null) {
      counter("bootfarm.package.cache.hits", "package files served from the warm per-repo cache", repo)
          .increment(cache.fromCache());
      counter("bootfarm.package.cache.misses", "package files downloaded", repo).increment(cache.downloaded());
      counter("bootfarm.package.cache.downloaded.bytes", "bytes downloaded into the cache", repo)
          .increment(cache.bytesDownloaded());
    }
  }

  /** The size of {@code repo}'s cache directory, measured after its latest build. */
  public void cacheSize(String repo, long bytes) {
    cacheBytes.computeIfAbsent(repo, r -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder("bootfarm.package.cache.size.bytes", value, AtomicLong::get)
          .description("size of the repo's cache directory after the latest build").tag("repo", r)
          .register(registry);
      return value;
    }).set(bytes);
  }

  private Counter counter(String name, String description, String repo) {
    return Counter.builder(name).description(description).tag("repo", repo).register(registry);
  }

  private static Duration[] seconds(double... values) {
    Duration[] durations = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      durations[i] = Duration.ofMillis(Math.round(values[i] * 1000));
    }
    return durations;
  }
}
