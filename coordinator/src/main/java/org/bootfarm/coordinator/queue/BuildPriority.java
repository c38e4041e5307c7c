package org.bootfarm.coordinator.queue;

import java.util.Arrays;

/**
 * How urgently a build should run: every queued INTERACTIVE build is placed before any NIGHTLY one;
 * within one priority the queue is first in, first out. The store keeps {@link #rank()} (lower runs
 * first), so a priority can later be added between the two without rewriting rows.
 */
public enum BuildPriority {
  /** Submitted by a person or a script that waits for it. */
  INTERACTIVE(100),
  /** Submitted by the nightly reproducibility scheduler. */
  NIGHTLY(500);

  private final int rank;

  BuildPriority(int rank) {
    this.rank = rank;
  }

  /** Position in the queue order: lower ranks are placed first. */
  public int rank() {
    return rank;
  }

  /** The priority stored as {@code rank}; names the known ranks when it is none of them. */
  public static BuildPriority ofRank(int rank) {
    for (BuildPriority priority : values()) {
      if (priority.rank == rank) {
        return priority;
      }
    }
    throw new IllegalArgumentException("no build priority has rank " + rank + "; known ranks: "
        + Arrays.toString(Arrays.stream(values()).mapToInt(BuildPriority::rank).toArray())
        + " (was the store written by a newer bootfarm?)");
  }
}
