package org.bootfarm.coordinator.placement;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * How much longer a build of one repo and target takes on a cold package cache than on a warm one, estimated
 * from the runs the farm recorded (ADR 0052): the time {@link StealingRule} lets a build wait for its busy warm
 * worker. Per repo and target it keeps a running mean of the warm runs' durations and one of the cold runs'; the
 * cost is their difference, never more than {@code upTo} ({@code --steal-after}), which is also the answer for a
 * repo that has not both kinds of run yet. In memory only: the coordinator seeds it from the store at start and
 * adds every build that succeeds; the placement simulation feeds it its simulated runs. Safe for many threads.
 */
public final class ColdCacheCosts {
  /** The weight of the newest run in a mean: the last few runs count, one odd run does not decide. */
  static final double NEWEST_WEIGHT = 0.3;

  /** Running means in seconds; a count of 0 means no run of that kind yet. */
  private record Means(double warmSeconds, int warmRuns, double coldSeconds, int coldRuns) {
    Means with(boolean warm, double seconds) {
      return warm
          ? new Means(mean(warmSeconds, warmRuns, seconds), warmRuns + 1, coldSeconds, coldRuns)
          : new Means(warmSeconds, warmRuns, mean(coldSeconds, coldRuns, seconds), coldRuns + 1);
    }

    private static double mean(double mean, int runs, double seconds) {
      return runs == 0 ? seconds : mean + NEWEST_WEIGHT * (seconds - mean);
    }
  }

  private final Duration upTo;
  private final Map<String, Means> byRepo = new ConcurrentHashMap<>();

  /** @param upTo the longest a build waits for its warm worker, and the wait for a repo without history */
  public ColdCacheCosts(Duration upTo) {
    if (upTo == null || upTo.isNegative()) {
      throw new IllegalArgumentException("steal-after must be a duration of zero or more (e.g. PT30S, the default),"
          + " was " + upTo);
    }
    this.upTo = upTo;
  }

  /** The configured threshold: the upper bound, and the answer without history. */
  public Duration upTo() {
    return upTo;
  }

  /** One run of {@code repo}'s {@code target} that took {@code took}, on a warm cache or a cold one. */
  public void record(String repo, String target, boolean warm, Duration took) {
    if (took.isNegative()) {
      return;
    }
    byRepo.compute(key(repo, target), (k, means) -> (means == null ? new Means(0, 0, 0, 0) : means)
        .with(warm, took.toMillis() / 1e3));
  }

  /**
   * One recorded run, from what its worker reported of its package cache and when it was claimed and finished:
   * warm when at least half of its package files came from the cache. A run served whole from the action cache
   * (ADR 0048), one that installed nothing, and one without cache figures or times tell nothing and are skipped.
   * Returns whether it was counted.
   */
  public boolean record(String repo, String target, PackageCacheUse cache, Instant started, Instant finished) {
    if (cache == null || cache.cachedFrom() != null || cache.downloaded() + cache.fromCache() == 0
        || started == null || finished == null || finished.isBefore(started)) {
      return false;
    }
    record(repo, target, cache.hitRatio() >= 0.5, Duration.between(started, finished));
    return true;
  }

  /**
   * How long a build of {@code repo}'s {@code target} waits for its busy warm worker: the recorded cold runs'
   * mean less the warm runs' mean, at least zero and at most {@link #upTo()}; {@link #upTo()} until the repo has
   * both kinds of run.
   */
  public Duration stealAfter(String repo, String target) {
    return estimate(repo, target).map(cost -> cost.compareTo(upTo) > 0 ? upTo : cost).orElse(upTo);
  }

  /** The cold cache's cost as recorded (cold mean less warm mean, at least zero), unbounded; empty without both. */
  public Optional<Duration> estimate(String repo, String target) {
    Means means = byRepo.get(key(repo, target));
    if (means == null || means.warmRuns() == 0 || means.coldRuns() == 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofMillis(Math.max(0, Math.round((means.coldSeconds() - means.warmSeconds()) * 1e3))));
  }

  private static String key(String repo, String target) {
    return repo + '\u0000' + target;
  }
}
