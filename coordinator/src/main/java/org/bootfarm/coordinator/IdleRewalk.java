package org.bootfarm.coordinator;

import java.time.Duration;
import java.time.Instant;

/**
 * When a placing pass with no live worker walks the whole queue again (ADR 0051): at most every {@link #EVERY}, and
 * never so often that the walks take more than one part in {@link #SHARE} of the time. Without the second bound a
 * deep queue waiting for its first worker (130,000 builds after a night without workers) was walked every 30 s at
 * seconds of CPU a walk, beside the submissions that kept arriving; with it, a walk's cost decides its period. What
 * the walk refreshes (a catalogue reload, side A of a pair cancelled, a component deleted, seen while no worker could
 * run anything) goes unnoticed that much longer; a worker joining ends the wait at once.
 */
final class IdleRewalk {
  /** The shortest period between two walks of the queue while no worker is live. */
  static final Duration EVERY = Duration.ofSeconds(30);
  /** A walk may take at most 1/SHARE of the time between two walks' starts. */
  static final int SHARE = 20;

  private Instant last; // when the last walk started, by the coordinator's clock; null: walk at the next pass
  private Duration cost = Duration.ZERO; // how long the last walk took, by System.nanoTime

  /** Whether a pass at {@code now} with no live worker walks the whole queue (else it notes only new builds). */
  boolean due(Instant now) {
    return last == null || now.isBefore(last) || !now.isBefore(last.plus(period()));
  }

  /** The time between two walks' starts after the last one's cost. */
  Duration period() {
    Duration byCost = cost.multipliedBy(SHARE);
    return byCost.compareTo(EVERY) > 0 ? byCost : EVERY;
  }

  /** A walk started at {@code now} and took {@code took}. */
  void walked(Instant now, Duration took) {
    last = now;
    cost = took;
  }

  /** A live worker was seen: the next pass without one walks the queue. */
  void forget() {
    last = null;
  }
}
