package org.bootfarm.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.bootfarm.coordinator.queue.BuildStore;

/**
 * Whether a placing pass may be skipped (ADR 0057): the last pass with live workers placed nothing, and nothing that
 * could change that happened since. What could: a write of the store that records, claims, re-queues, ends or
 * cancels a build ({@link BuildStore#queueChanges}); a worker that joins, leaves or sends a heartbeat different in
 * what placement reads ({@link org.bootfarm.coordinator.placement.LiveWorkers#changes}); a success heard or a
 * takeover, which change the cold cache costs ({@link #changed}); the time at which a waiting build reaches its
 * steal threshold or a backoff ends. What this does not see (a catalogue reload, a component or definition deleted
 * from the artifact store, another process's write) waits at most {@link #REREAD}: a pass reads the queue at least
 * that often whatever happened.
 */
final class LastIdlePass {
  /** The longest a pass is skipped: bounds how long a change this class does not see goes unnoticed. */
  static final Duration REREAD = Duration.ofSeconds(10);

  /** What was counted before a pass read anything, and until when its outcome holds if none of it changes. */
  record Seen(long queueChanges, long workerChanges, long otherChanges, Instant at, Instant until) {
  }

  private final BuildStore store;
  private final LongSupplier workerChanges;
  private final AtomicLong otherChanges = new AtomicLong();
  private Seen idle; // the last pass that placed nothing, or null: the next pass reads the queue

  /** @param workerChanges the live workers' change count ({@link BuildPlacer#workerChanges}) */
  LastIdlePass(BuildStore store, LongSupplier workerChanges) {
    this.store = store;
    this.workerChanges = workerChanges;
  }

  /** Counts a change the store and the workers do not count: a success heard (its cold cache cost), a takeover. */
  void changed() {
    otherChanges.incrementAndGet();
  }

  /** Whether a pass at {@code now} would place nothing: the last one placed nothing and nothing changed since. */
  synchronized boolean holds(Instant now) {
    return idle != null && !now.isBefore(idle.at()) && now.isBefore(idle.until())
        && idle.queueChanges() == store.queueChanges() && idle.workerChanges() == workerChanges.getAsLong()
        && idle.otherChanges() == otherChanges.get();
  }

  /** The counts before a pass at {@code now} reads anything: what {@link #placedNothing} compares later passes with. */
  Seen before(Instant now) {
    return new Seen(store.queueChanges(), workerChanges.getAsLong(), otherChanges.get(), now, null);
  }

  /**
   * The pass that began with {@code before} placed nothing: later passes are skipped until something changes, {@link
   * #REREAD} passes, time reaches {@code timedChange} (a waiting build's steal threshold), or a backoff ends.
   */
  synchronized void placedNothing(Seen before, Optional<Instant> timedChange) {
    Instant until = before.at().plus(REREAD);
    for (Optional<Instant> sooner : List.of(timedChange, store.nextBackoffEnd(before.at()))) {
      if (sooner.isPresent() && sooner.get().isBefore(until)) {
        until = sooner.get();
      }
    }
    idle = new Seen(before.queueChanges(), before.workerChanges(), before.otherChanges(), before.at(), until);
  }

  /** The last pass placed something, or saw no live worker: the next pass reads the queue. */
  synchronized void forget() {
    idle = null;
  }
}
