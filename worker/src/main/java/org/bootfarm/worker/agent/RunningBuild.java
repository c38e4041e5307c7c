package org.bootfarm.worker.agent;

/**
 * One run taken from the inbox: waiting for a slot, then on its slot thread, which a cancel interrupts
 * until the run {@link #end}s; the interrupt never reaches the slot thread's next build. A run cancelled
 * while it waits for a slot does not start.
 */
final class RunningBuild {
  final int attempt;
  private Thread thread;
  private long cancelledAt;
  private boolean cancelled;
  private boolean ended;

  RunningBuild(int attempt) {
    this.attempt = attempt;
  }

  /** The run starts on the calling slot thread; false when it was cancelled before. */
  synchronized boolean start() {
    thread = Thread.currentThread();
    return !cancelled;
  }

  /** Interrupts the run (or keeps it from starting) unless it ended or was cancelled already; whether it did. */
  synchronized boolean cancel() {
    if (ended || cancelled) {
      return false;
    }
    cancelled = true;
    cancelledAt = System.nanoTime();
    if (thread != null) {
      thread.interrupt();
    }
    return true;
  }

  /** Called on the run's own thread when the build ended: clears a cancel's interrupt; whether it was cancelled. */
  synchronized boolean end() {
    ended = true;
    Thread.interrupted();
    return cancelled;
  }

  /** Seconds from the cancel to now. */
  synchronized double secondsSinceCancel() {
    return (System.nanoTime() - cancelledAt) / 1e9;
  }
}
