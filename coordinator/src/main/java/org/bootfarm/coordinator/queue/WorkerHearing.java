package org.bootfarm.coordinator.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * When this coordinator heard from any worker (a heartbeat, which renews leases, or a report), so that the
 * {@link LeaseReconciler} can tell a worker that went silent from a coordinator that could not hear (ADR 0043):
 * a lease that runs out while the coordinator heard from no worker at all says nothing about that worker.
 * Keeps the instants of the last {@code horizon} only; an instant older than that counts as not heard, which
 * errs towards sparing a run. Thread-safe: heartbeats and reports arrive on other threads than the reconciler's.
 */
public final class WorkerHearing {
  /** A coordinator that always hears (tests of the reconciler's other decisions; before ADR 0043). */
  public static final WorkerHearing ALWAYS = new WorkerHearing(Duration.ZERO);

  private final Duration horizon;
  private final ConcurrentSkipListSet<Long> heardMillis = new ConcurrentSkipListSet<>();
  private final Map<String, Long> lastFrom = new ConcurrentHashMap<>();

  /** @param horizon how far back the instants are kept; a few leases (see {@link #forLeases}) */
  public WorkerHearing(Duration horizon) {
    this.horizon = Objects.requireNonNull(horizon, "horizon");
  }

  /** A hearing that keeps enough history for leases of {@code lease}: ten of them. */
  public static WorkerHearing forLeases(LeasePolicy lease) {
    return new WorkerHearing(lease.duration().multipliedBy(10));
  }

  /** Worker {@code worker} was heard at {@code at}. */
  public void heard(String worker, Instant at) {
    if (this == ALWAYS) {
      return;
    }
    long millis = at.toEpochMilli();
    lastFrom.merge(worker, millis, Math::max);
    heardMillis.add(millis);
    heardMillis.headSet(millis - horizon.toMillis()).clear();
  }

  /** Whether any worker was heard after {@code after} and at or before {@code until}. */
  public boolean heardBetween(Instant after, Instant until) {
    if (this == ALWAYS) {
      return true;
    }
    Long first = heardMillis.higher(after.toEpochMilli());
    return first != null && first <= until.toEpochMilli();
  }

  /** Whether any worker was heard after {@code after} (up to now). */
  public boolean heardSince(Instant after) {
    return this == ALWAYS || heardMillis.higher(after.toEpochMilli()) != null;
  }

  /** Whether worker {@code worker} itself was heard after {@code after}. */
  public boolean heardFromSince(String worker, Instant after) {
    Long last = lastFrom.get(worker);
    return this == ALWAYS || (last != null && last > after.toEpochMilli());
  }

  /** The first time any worker was heard after {@code after}, or null when none was since. */
  public Instant firstHeardAfter(Instant after) {
    Long first = this == ALWAYS ? Long.valueOf(after.toEpochMilli() + 1) : heardMillis.higher(after.toEpochMilli());
    return first == null ? null : Instant.ofEpochMilli(first);
  }

  /** The last time any worker was heard, or null when none was (within the horizon). */
  public Instant lastHeard() {
    if (this == ALWAYS) {
      return null;
    }
    Long last = heardMillis.isEmpty() ? null : heardMillis.last();
    return last == null ? null : Instant.ofEpochMilli(last);
  }
}
