package org.bootfarm.coordinator.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a build whose run was lost (its worker died or left) or failed transiently is tried
 * again, and how long it waits first. The wait doubles with each lost run up to a cap: with the
 * defaults 2 s, 4 s, 8 s, ... 60 s. There is no random jitter, so the same history always gives the
 * same not-before (builds re-queued together go back in their queue order; placement drains the
 * queue at its own pace). Deterministic failures are never retried, whatever this says.
 *
 * @param maxAttempts runs a build gets in all; the run that ends number {@code maxAttempts} fails it
 * @param firstBackoff the wait after the first lost run
 * @param maxBackoff no wait is longer than this
 */
public record RetryPolicy(int maxAttempts, Duration firstBackoff, Duration maxBackoff) {
  /** Three runs in all, waits of 2 s, 4 s, ... at most 60 s. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(60));

  public RetryPolicy {
    Objects.requireNonNull(firstBackoff, "firstBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("a build gets at least 1 attempt, not " + maxAttempts);
    }
    if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException("backoff must satisfy 0 <= firstBackoff <= maxBackoff, but got "
          + firstBackoff + " and " + maxBackoff);
    }
  }

  /** Whether a build may run again after its {@code lostRuns}-th lost or transiently failed run. */
  public boolean mayRetryAfter(int lostRuns) {
    return lostRuns < maxAttempts;
  }

  /** How long a build waits after its {@code lostRuns}-th lost run (1 for the first): doubling, capped. */
  public Duration backoffAfter(int lostRuns) {
    if (lostRuns < 1) {
      throw new IllegalArgumentException("backoff is counted from the first lost run (1), not " + lostRuns);
    }
    Duration wait = firstBackoff;
    for (int run = 1; run < lostRuns && !wait.isZero() && wait.compareTo(maxBackoff) < 0; run++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }
}
