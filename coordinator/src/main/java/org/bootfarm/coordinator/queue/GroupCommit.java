package org.bootfarm.coordinator.queue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * How concurrent inserts share one transaction (ADRs 0045, 0051, 0056). A caller's records join the pending ones, and
 * whichever caller finds no one writing becomes the leader: it writes every pending record in one transaction (one
 * fsync) and wakes the thread of each. A caller returns only once the transaction that holds its records committed,
 * so {@link BuildStore#insert}'s contract holds. The others wait parked on their own records, not on the store's
 * monitor, so a commit that answers 64 submissions does not hand that monitor from thread to thread 64 times; a
 * leader that finishes wakes the thread of the oldest record still pending, which leads the next batch.
 */
final class GroupCommit {
  /** Writes a batch in one transaction; per record, null when written or why not. */
  private final Function<List<BuildRecord>, List<RuntimeException>> transaction;
  /** Runs after each batch, written or not. */
  private final Runnable afterBatch;
  private final ConcurrentLinkedQueue<PendingInsert> pending = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean leading = new AtomicBoolean(); // a thread is writing a batch of pending records

  GroupCommit(Function<List<BuildRecord>, List<RuntimeException>> transaction, Runnable afterBatch) {
    this.transaction = transaction;
    this.afterBatch = afterBatch;
  }

  /** Writes {@code builds} in the group commit; returns, per build, null once written or why it was not. */
  List<RuntimeException> insertEach(List<BuildRecord> builds) {
    if (builds.isEmpty()) {
      return List.of();
    }
    List<PendingInsert> mine = builds.stream().map(build -> new PendingInsert(build, Thread.currentThread())).toList();
    pending.addAll(mine);
    boolean interrupted = false; // the records' fate is their batch's: an interrupt is kept for after, not obeyed
    while (!mine.stream().allMatch(p -> p.written)) {
      if (leading.compareAndSet(false, true)) {
        try {
          if (!mine.stream().allMatch(p -> p.written)) {
            writePending();
          }
        } finally {
          leading.set(false);
        }
        PendingInsert next = pending.peek(); // added while this batch was written: it needs a leader
        if (next != null) {
          LockSupport.unpark(next.waiter);
        }
      } else {
        LockSupport.park(this);
        interrupted |= Thread.interrupted();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return mine.stream().map(p -> p.failure).toList();
  }

  /** Writes every pending insert in one transaction and wakes the thread of each. */
  private void writePending() {
    List<PendingInsert> batch = new ArrayList<>();
    for (PendingInsert next; (next = pending.poll()) != null; ) {
      batch.add(next);
    }
    List<RuntimeException> outcomes = null;
    try {
      outcomes = transaction.apply(batch.stream().map(p -> p.build).toList());
    } finally {
      Set<Thread> waiters = new HashSet<>();
      for (int i = 0; i < batch.size(); i++) { // also when an Error escaped: nobody may return as if written
        PendingInsert done = batch.get(i);
        done.failure = outcomes != null ? outcomes.get(i) : new BuildStoreException(
            "build " + done.build.id() + " was not recorded: its insert batch failed; submit it again");
        done.written = true;
        waiters.add(done.waiter);
      }
      // once per thread, after every record is marked, and not the leader's own: a permit left on the leader would
      // make its next park return at once for nothing
      waiters.remove(Thread.currentThread());
      waiters.forEach(LockSupport::unpark);
      afterBatch.run();
    }
  }

  /** One record waiting for the next group commit, and the thread that waits for it. */
  private static final class PendingInsert {
    final BuildRecord build;
    final Thread waiter;
    RuntimeException failure; // written before written, read after it
    volatile boolean written;

    PendingInsert(BuildRecord build, Thread waiter) {
      this.build = build;
      this.waiter = waiter;
    }
  }
}
