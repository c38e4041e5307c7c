package org.bootfarm.protocol.transfer;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a node waits before it tries a request to the farm again (an artifact transfer, a
 * worker's report): the wait doubles from {@code first} with each failed try up to {@code max}, and
 * a random part of up to {@code jitter} of it is taken off, so that workers cut off together do not
 * come back together. The one backoff for requests between nodes; the coordinator's re-queue wait
 * for lost builds ({@code RetryPolicy}) is deliberately without jitter and is not this.
 *
 * @param first the wait after the first failed try, before jitter
 * @param max no wait is longer than this
 * @param jitter the largest part of a wait taken off at random, from 0 (none) to 1
 */
public record Backoff(Duration first, Duration max, double jitter) {
  public Backoff {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(max, "max");
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException("a backoff needs 0 < first <= max, but got first " + first + " and max " + max);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("a backoff's jitter is a fraction from 0 to 1, not " + jitter);
    }
  }

  /** The longest wait after the {@code tries}-th failed try (counted from 1): doubled from first, capped at max. */
  public Duration ceiling(int tries) {
    if (tries < 1) {
      throw new IllegalArgumentException("tries are counted from 1, not " + tries);
    }
    Duration wait = first;
    for (int i = 1; i < tries && wait.compareTo(max) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(max) > 0 ? max : wait;
  }

  /** The wait after the {@code tries}-th failed try: {@link #ceiling} less a random part of up to {@code jitter} of it. */
  public Duration delay(int tries) {
    long ceiling = ceiling(tries).toNanos();
    long off = (long) (ceiling * jitter * ThreadLocalRandom.current().nextDouble());
    return Duration.ofNanos(ceiling - off);
  }
}
