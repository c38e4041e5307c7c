package org.bootfarm.coordinator.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How long a worker holds a build without news, and how often the coordinator looks for leases that
 * ran out. A worker renews every {@link #renewEvery()} (a third of the lease, so two lost heartbeats
 * in a row are survived); a dead worker's build is back in the queue at most {@link #requeueWithin()}
 * after its last renewal. The defaults (10 s lease, reconciled every second) give 11 s, inside the
 * farm's 15 s bound.
 *
 * @param duration how long a claim or a renewal holds the build
 * @param reconcileEvery how often the coordinator runs {@link LeaseReconciler#reconcile}
 */
public record LeasePolicy(Duration duration, Duration reconcileEvery) {
  /** 10 s leases, reconciled every second. */
  public static final LeasePolicy DEFAULT = new LeasePolicy(Duration.ofSeconds(10), Duration.ofSeconds(1));

  public LeasePolicy {
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(reconcileEvery, "reconcileEvery");
    if (duration.toMillis() < 3) {
      throw new IllegalArgumentException("a lease must last at least 3 ms (the store keeps milliseconds and a"
          + " worker renews every third of it), not " + duration);
    }
    if (reconcileEvery.toMillis() < 1) {
      throw new IllegalArgumentException("the lease reconciler must run at least every millisecond apart, not "
          + reconcileEvery);
    }
  }

  /** How often the holder renews: a third of {@link #duration()}. */
  public Duration renewEvery() {
    return duration.dividedBy(3);
  }

  /** When a lease claimed or renewed at {@code now} ends: what placement and heartbeats give the store. */
  public Instant leaseUntil(Instant now) {
    return now.plus(duration);
  }

  /** The longest a dead worker's build stays RUNNING after its last renewal: one lease plus one reconcile period. */
  public Duration requeueWithin() {
    return duration.plus(reconcileEvery);
  }
}
