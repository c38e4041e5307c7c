package org.bootfarm.coordinator.bus;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

/**
 * The pool on which calls run that mostly wait, parked, for their build's group commit ({@code SqlBuildStore#insert}):
 * submissions over the event bus and over HTTP alike (ADR 0045, 0051). As many submissions as are in flight can then
 * join one commit, not only as many as Vert.x has worker threads (20), and waiting calls never hold up the others
 * (gets, lists, the placing pass) on those 20. A parked thread costs memory, not CPU; the size bounds how many
 * submissions one commit can carry.
 */
public final class CommitWaiters {
  /** The shared pool's name: every {@link #open} of one Vert.x instance gets the same threads. */
  public static final String NAME = "bootfarm-commit-waiters";
  /** Its threads. */
  public static final int THREADS = 256;

  private CommitWaiters() {
  }

  /** An executor on the shared pool; close it when done (the pool ends with the last one closed). */
  public static WorkerExecutor open(Vertx vertx) {
    return vertx.createSharedWorkerExecutor(NAME, THREADS);
  }
}
