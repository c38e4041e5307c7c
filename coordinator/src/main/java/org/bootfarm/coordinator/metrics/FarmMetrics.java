package org.bootfarm.coordinator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.bootfarm.coordinator.BuildStateListener;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.nightly.NightlyListener;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * The coordinator's meters of docs/metrics.md. Counters count the events this coordinator handles (the
 * active one: submissions, starts, final states, lost leases, retries, verdicts, nightly runs); gauges are
 * computed when Prometheus scrapes ({@link #refresh}), from this coordinator's own copy of the state (its
 * SQLite store, its worker table from the heartbeats, its artifact store, its nightly tables), so a standby
 * reports the same queue as the active one and {@code bootfarm_coordinator_active} tells them apart.
 */
public final class FarmMetrics implements BuildStateListener, NightlyListener {
  /** Buckets of build durations and queue waits: seconds to an hour. */
  static final Duration[] BUILD_BUCKETS = seconds(1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 2700, 3600);

  /**
   * What this coordinator's gauges read, besides the registry.
   *
   * @param repos the catalog's repos: their retry and stolen counters exist from the start, at 0
   */
  public record Sources(Collection<String> repos, SqlBuildStore queue, BuildStore builds, Supplier<? extends Iterable<WorkerInfo>> workers,
      ArtifactStore artifacts, NightlyStore nightly, NightlySchedule schedule, BooleanSupplier active,
      Duration lease, Clock clock) {}

  /** One scrape's view of the state, read by the gauges. */
  private record Snapshot(Map<BuildPriority, Long> depth, double oldestAgeSeconds, int workersLive, long slots,
      long slotsBusy, double storeFree, double storeCapacity, double nightlyLast, double nightlyPairs,
      double nightlyFailures, double nightlyNext) {
    static final Snapshot EMPTY = new Snapshot(Map.of(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  private final MeterRegistry registry;
  private final Sources sources;
  private final Counter leaseExpiries;
  private final Counter nightlyRuns;
  private final Counter reportsRefused;
  private final MultiGauge reproducible;
  /** Worker id to when its latest heartbeat arrived here. */
  private final Map<String, Instant> heartbeats = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  public FarmMetrics(MeterRegistry registry, Sources sources) {
    this.registry = registry;
    this.sources = sources;
    leaseExpiries = Counter.builder("bootfarm.lease.expiries")
        .description("leases that ran out or whose worker left (the build went back to the queue or failed)")
        .register(registry);
    nightlyRuns = Counter.builder("bootfarm.nightly.runs").description("nightly runs started").register(registry);
    reportsRefused = Counter.builder("bootfarm.reports.refused")
        .description("workers' reports refused for naming an artifact the store does not hold as reported")
        .register(registry);
    sources.repos().forEach(this::retries);
    sources.repos().forEach(repo -> RepoSpec.TARGETS.forEach(target -> stolen(repo, target))); // at 0 from the start
    reproducible = MultiGauge.builder("bootfarm.repo.reproducible")
        .description("latest verdict of the repo: 1 reproducible, 0 not").register(registry);
    gauge("bootfarm.coordinator.active", "1 on the active coordinator, 0 on a standby",
        s -> sources.active().getAsBoolean() ? 1 : 0);
    for (BuildPriority priority : BuildPriority.values()) {
      Gauge.builder("bootfarm.queue.depth", this, m -> m.snapshot.depth().getOrDefault(priority, 0L))
          .description("builds QUEUED now").tag("priority", lower(priority.name())).register(registry);
    }
    gauge("bootfarm.queue.oldest.age.seconds", "age of the oldest QUEUED build (0 when none)",
        Snapshot::oldestAgeSeconds);
    gauge("bootfarm.workers.live", "workers with a heartbeat inside the lease", Snapshot::workersLive);
    gauge("bootfarm.worker.slots", "build slots the live workers offer", Snapshot::slots);
    gauge("bootfarm.worker.slots.busy", "of those, slots running a build", Snapshot::slotsBusy);
    // the store counts its objects as they come and go: reading them costs nothing
    Gauge.builder("bootfarm.artifact.store.objects", sources.artifacts(), a -> a.stats().objects())
        .description("objects in the content-addressed store").register(registry);
    Gauge.builder("bootfarm.artifact.store.bytes", sources.artifacts(), a -> a.stats().bytes())
        .description("bytes those objects hold").register(registry);
    gauge("bootfarm.artifact.store.free.bytes", "free bytes on the store's file system", Snapshot::storeFree);
    gauge("bootfarm.artifact.store.capacity.bytes", "size of the store's file system", Snapshot::storeCapacity);
    gauge("bootfarm.nightly.last.run.timestamp.seconds", "start of the latest nightly run (0 before the first)",
        Snapshot::nightlyLast);
    gauge("bootfarm.nightly.last.run.pairs", "pairs in the latest run", Snapshot::nightlyPairs);
    gauge("bootfarm.nightly.last.run.failures", "pairs of the latest run judged unreproducible or failed",
        Snapshot::nightlyFailures);
    gauge("bootfarm.nightly.next.run.timestamp.seconds", "next scheduled nightly instant (0 when off)",
        Snapshot::nightlyNext);
  }

  private void gauge(String name, String description, ToDoubleFunction<Snapshot> value) {
    Gauge.builder(name, this, m -> value.applyAsDouble(m.snapshot)).description(description).register(registry);
  }

  /**
   * Reads the state the gauges show: the queue (one indexed query), the worker table, the store's file
   * system, the latest nightly run and verdicts. Blocks on SQLite: call it off the event loop, before
   * rendering the registry.
   */
  public synchronized void refresh() {
    Instant now = sources.clock().instant();
    SqlBuildStore.QueueSummary queue = sources.queue().queueSummary();
    double oldest = queue.oldestSubmitted() == null ? 0
        : Math.max(0, Duration.between(queue.oldestSubmitted(), now).toMillis() / 1000.0);
    int live = 0;
    long slots = 0;
    long busy = 0;
    Instant liveSince = now.minus(sources.lease());
    for (WorkerInfo worker : sources.workers().get()) {
      Instant seen = heartbeats.get(worker.id());
      if (seen != null && seen.isAfter(liveSince)) {
        live++;
        slots += worker.slots();
        busy += worker.busySlots();
      }
    }
    double free = 0;
    double capacity = 0;
    try {
      FileStore fileStore = Files.getFileStore(sources.artifacts().directory());
      free = fileStore.getUsableSpace();
      capacity = fileStore.getTotalSpace();
    } catch (IOException e) {
      // reported as 0: the alert on a near-full store fires, which is what an unreadable store deserves
    }
    double lastRun = 0;
    double pairs = 0;
    double failures = 0;
    List<NightlyReport> latest = sources.nightly().runs(1);
    if (!latest.isEmpty()) {
      NightlyReport run = latest.get(0);
      lastRun = Instant.parse(run.startedAt()).toEpochMilli() / 1000.0;
      List<ReproducibilityPair> runPairs = sources.nightly().pairsOf(run.id());
      pairs = runPairs.size();
      failures = runPairs.stream().filter(p -> p.outcome() != null && p.outcome() != Verdict.Outcome.REPRODUCIBLE)
          .count();
    }
    double next = sources.schedule().nextAfter(now).map(i -> i.toEpochMilli() / 1000.0).orElse(0.0);
    snapshot = new Snapshot(queue.depth(), oldest, live, slots, busy, free, capacity, lastRun, pairs, failures, next);
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    sources.nightly().latestOutcomes().forEach((key, outcome) -> {
      String[] repoTarget = key.split("\0", 2);
      rows.add(MultiGauge.Row.of(Tags.of("repo", repoTarget[0], "target", repoTarget[1]),
          outcome == Verdict.Outcome.REPRODUCIBLE ? 1 : 0));
    });
    reproducible.register(rows, true);
  }

  /** A worker's heartbeat arrived (on every coordinator): it is live for one lease from now. */
  public void workerSeen(WorkerInfo info) {
    heartbeats.put(info.id(), sources.clock().instant());
  }

  /** A worker left the cluster. */
  public void workerLeft(String workerId) {
    heartbeats.remove(workerId);
  }

  @Override
  public void submitted(BuildView build) {
    Counter.builder("bootfarm.builds.submitted").description("builds accepted (durably queued)")
        .tags("repo", build.repo(), "target", build.target(), "priority", lower(build.priority().name()))
        .register(registry).increment();
  }

  /** A build an idle worker took from its busy warm worker after it waited longer than a cold cache costs. */
  @Override
  public void stolen(BuildView build, String warmWorker) {
    stolen(build.repo(), build.target()).increment();
  }

  private Counter stolen(String repo, String target) {
    return Counter.builder("bootfarm.builds.stolen")
        .description("builds an idle worker took from their busy warm worker (ADR 0046)")
        .tags("repo", repo, "target", target).register(registry);
  }

  /** A state change made by the coordinator's own decisions: claimed, cancelled, failed without a run. */
  @Override
  public void changed(BuildView build, String text) {
    if (build.state() == BuildState.RUNNING) {
      Counter.builder("bootfarm.builds.started").description("builds handed to a worker (each attempt)")
          .tags("repo", build.repo(), "target", build.target()).register(registry).increment();
      if (build.attempts() == 0 && build.submittedAt() != null && build.startedAt() != null) {
        buildTimer("bootfarm.build.queue.wait", "from submission to first start", Tags.of("target", build.target()))
            .record(between(Instant.parse(build.submittedAt()), Instant.parse(build.startedAt())));
      }
    } else if (build.state().isFinal()) {
      finished(build.repo(), build.target(), build.state(),
          build.startedAt() == null ? null : Instant.parse(build.startedAt()),
          build.finishedAt() == null ? sources.clock().instant() : Instant.parse(build.finishedAt()));
    }
  }

  /**
   * What the lease reconciler did, after the store made it: a final state is counted with the build's
   * repo and target (read back from the store), a re-queue as a retry, a lost lease as an expiry. Reads
   * the store: call it off the event loop.
   */
  public void changed(LeaseAction action) {
    switch (action.decision()) {
      case REFUSED, LEASE_EXTENDED, REPEATED -> {
        return;
      }
      default -> { }
    }
    if (action.cause() == LeaseAction.Cause.LEASE_EXPIRED || action.cause() == LeaseAction.Cause.WORKER_LEFT) {
      leaseExpiries.increment();
    }
    BuildRecord build = sources.builds().get(action.buildId()).orElse(null);
    if (build == null) {
      return;
    }
    if (action.decision() == LeaseAction.Decision.REQUEUED) {
      retries(build.repo()).increment();
    } else if (build.state().isFinal()) {
      finished(build.repo(), build.target(), build.state(), build.startedAt(),
          build.finishedAt() == null ? sources.clock().instant() : build.finishedAt());
    }
  }

  @Override
  public void reportRefused(String buildId, String workerId, String why) {
    reportsRefused.increment();
  }

  private Counter retries(String repo) {
    return Counter.builder("bootfarm.build.retries").description("builds queued again for another attempt")
        .tag("repo", repo).register(registry);
  }

  private void finished(String repo, String target, BuildState state, Instant started, Instant ended) {
    String outcome = lower(state.name());
    Counter.builder("bootfarm.builds.finished").description("builds that reached a final state")
        .tags("repo", repo, "target", target, "outcome", outcome).register(registry).increment();
    if (started != null) {
      buildTimer("bootfarm.build.duration", "from the attempt's start on a worker to its final state",
          Tags.of("repo", repo, "target", target, "outcome", outcome)).record(between(started, ended));
    }
  }

  @Override
  public void runStarted(NightlyReport run) {
    nightlyRuns.increment();
  }

  @Override
  public void judged(ReproducibilityPair pair) {
    Verdict.Outcome outcome = pair.outcome() != null ? pair.outcome() : pair.verdict().outcome();
    Counter.builder("bootfarm.verdicts").description("reproducibility verdicts given (nightly and verify)")
        .tags("repo", pair.repo(), "target", pair.target(), "verdict", lower(outcome.name()))
        .register(registry).increment();
  }

  private Timer buildTimer(String name, String description, Tags tags) {
    return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(BUILD_BUCKETS)
        .register(registry);
  }

  private static Duration between(Instant from, Instant to) {
    Duration duration = Duration.between(from, to);
    return duration.isNegative() ? Duration.ZERO : duration;
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  private static Duration[] seconds(long... values) {
    Duration[] durations = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      durations[i] = Duration.ofSeconds(values[i]);
    }
    return durations;
  }
}
