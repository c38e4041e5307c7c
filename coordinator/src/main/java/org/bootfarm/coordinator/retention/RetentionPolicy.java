package org.bootfarm.coordinator.retention;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildStore;

/**
 * The artifact store's retention rule, applied: keeps the artifacts and components of the last
 * {@code keepBuilds} SUCCEEDED builds of every repo and target and of every pinned build, the
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
  }

  /** The hashes retention keeps now (pins are kept by the artifact store itself). */
  public Set<String> liveSet() {
    return builds.retainedHashes(keepBuilds);
  }

  /**
   * Reads the live set and collects everything else, logging what was freed. One collection at a
   * time: a call while another runs returns empty at once.
   */
  public ArtifactStore.Collected collect() throws IOException {
    if (!collecting.compareAndSet(false, true)) {
      return new ArtifactStore.Collected(0, 0);
    }
    try {
      long start = System.nanoTime();
      Set<String> live = liveSet();
      ArtifactStore.Collected freed = artifacts.collect(live);
      ArtifactStore.Stats left = artifacts.stats();
      log.accept("retention: freed " + freed.objects() + " artifact(s), " + freed.bytes() + " bytes, keeping "
          + live.size() + " referenced by the last " + keepBuilds + " successful build(s) per repo and target,"
          + " unfinished and pinned builds, and " + artifacts.pins().size() + " pinned artifact(s); "
          + left.objects() + " artifact(s), " + left.bytes() + " bytes remain (" + (System.nanoTime() - start)
          / 1_000_000 + " ms)");
      return freed;
    } finally {
      collecting.set(false);
    }
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
