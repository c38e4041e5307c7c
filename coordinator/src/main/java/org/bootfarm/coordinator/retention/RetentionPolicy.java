package org.bootfarm.coordinator.retention;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.BuildInputIndex;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.CollectionReport;

/**
 * The artifact store's retention rule, applied: keeps the artifacts, components and inputs (the archived
 * packages they installed, ADR 0037) of the last {@code keepBuilds} SUCCEEDED builds of every repo and target,
 * of every pinned build and of every build a queued rebuild installs from, the
 * components of every build not finished yet, and every pinned artifact; {@link ArtifactStore#collect}
 * deletes the rest (except what was put too recently to be referenced yet). Artifacts are shared by
 * hash, so an old build's artifact that a kept build also names stays.
 */
public final class RetentionPolicy {
  /**
   * How much is kept and how often the rest is collected.
   *
   * @param keepBuilds SUCCEEDED builds kept per repo and target (0 keeps only pinned and unfinished ones)
   * @param collectEvery time between two collections (one also runs at start)
   */
  public record Settings(int keepBuilds, Duration collectEvery) {
    /** The last 10 successful builds per repo and target, collected hourly. */
    public static final Settings DEFAULT = new Settings(10, Duration.ofHours(1));

    public Settings {
      if (keepBuilds < 0) {
        throw new IllegalArgumentException("--keep-builds must be 0 or more, not " + keepBuilds);
      }
      Objects.requireNonNull(collectEvery, "collectEvery");
      if (collectEvery.toMillis() < 1) {
        throw new IllegalArgumentException("--collect-every must be at least 1 ms, not " + collectEvery);
      }
    }
  }

  private final BuildStore builds;
  private final ArtifactStore artifacts;
  private final int keepBuilds;
  private final Consumer<String> log;
  private final AtomicBoolean collecting = new AtomicBoolean();
  private final BuildInputIndex inputs;

  /**
   * @param log where each collection's result (and failure) is reported, one line each
   */
  public RetentionPolicy(BuildStore builds, ArtifactStore artifacts, int keepBuilds, Consumer<String> log) {
    this.builds = Objects.requireNonNull(builds, "builds");
    this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
    if (keepBuilds < 0) {
      throw new IllegalArgumentException("retention keeps a number of builds >= 0, not " + keepBuilds);
    }
    this.keepBuilds = keepBuilds;
    this.log = Objects.requireNonNull(log, "log");
    this.inputs = new BuildInputIndex(builds, new RecordedBuildInfos(artifacts));
  }

  /**
   * A policy keeping {@code settings}' builds that logs each collection at INFO on {@code logger}: each coordinator
   * runs one on its own artifact store (a standby's store follows the active one's history).
   */
  public static RetentionPolicy logging(BuildStore builds, ArtifactStore artifacts, Settings settings,
      System.Logger logger) {
    return new RetentionPolicy(builds, artifacts, settings.keepBuilds(),
        line -> logger.log(System.Logger.Level.INFO, "bootfarm coordinator: " + line));
  }

  /** The hashes retention keeps now (pins are kept by the artifact store itself). */
  public Set<String> liveSet() {
    return builds.retainedHashes(keepBuilds);
  }

  /**
   * Indexes the inputs of the kept builds, reads the live set and collects everything else, logging what was
   * freed and kept. One collection at a time: a call while another runs returns empty at once.
   */
  public ArtifactStore.Collected collect() throws IOException {
    CollectionReport report = collectNow(false);
    return report == null ? new ArtifactStore.Collected(0, 0)
        : new ArtifactStore.Collected(report.freedObjects(), report.freedBytes());
  }

  /**
   * One collection now ({@code bootfarm gc}), or with {@code dryRun} only what it would free; null when another
   * collection is running.
   */
  public CollectionReport collectNow(boolean dryRun) throws IOException {
    if (!collecting.compareAndSet(false, true)) {
      return null;
    }
    try {
      long start = System.nanoTime();
      for (String problem : inputs.catchUp()) {
        log.accept("retention: the inputs of " + problem + "; they are looked for again at the next collection");
      }
      Set<String> live = validIds(liveSet());
      Set<String> recordedInputs = builds.recordedInputs();
      Map<String, Long> collectable = artifacts.collectable(live);
      long freedInputs = collectable.keySet().stream().filter(recordedInputs::contains).count();
      long keptInputs = live.stream().filter(recordedInputs::contains).count();
      ArtifactStore.Collected freed = dryRun
          ? new ArtifactStore.Collected(collectable.size(), collectable.values().stream().mapToLong(Long::longValue).sum())
          : artifacts.collect(live);
      ArtifactStore.Stats left = artifacts.stats();
      CollectionReport report = new CollectionReport(dryRun, freed.objects(), freed.bytes(), freedInputs, live.size(),
          keptInputs, artifacts.pins().size(), left.objects(), left.bytes());
      log.accept("retention: " + report.describe() + "; kept builds: the last " + keepBuilds + " successful one(s)"
          + " per repo and target, the pinned ones, the unfinished ones and those a queued rebuild installs from ("
          + (System.nanoTime() - start) / 1_000_000 + " ms)");
      return report;
    } finally {
      collecting.set(false);
    }
  }

  /**
   * {@code live} without the entries that are no sha256 (a record written before reports were checked, ADR 0040):
   * each is logged and skipped, so one bad entry never stops a collection (the store refuses a live set holding
   * one as a whole).
   */
  private Set<String> validIds(Set<String> live) {
    Set<String> valid = new java.util.HashSet<>(live.size());
    for (String id : live) {
      if (ArtifactStore.isValidId(id)) {
        valid.add(id);
      } else {
        log.accept("retention: the build store names '" + id + "' as an artifact, which is no sha256; skipped (see"
            + " bootfarm list for the build naming it and its error)");
      }
    }
    return valid;
  }

  /**
   * Collects once now and then every {@code every}, on Vert.x worker threads; a failed collection is
   * logged and the next one runs on time.
   *
   * @return the periodic timer's id, for {@link Vertx#cancelTimer}
   */
  public long schedule(Vertx vertx, Duration every) {
    collectInBackground(vertx);
    return vertx.setPeriodic(every.toMillis(), id -> collectInBackground(vertx));
  }

  private void collectInBackground(Vertx vertx) {
    vertx.executeBlocking(this::collect, false).onFailure(e -> log.accept(
        "retention: collection failed, nothing more was deleted; next try at the next period: " + e));
  }
}
