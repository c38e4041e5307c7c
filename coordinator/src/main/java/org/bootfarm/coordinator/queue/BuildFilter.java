package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;

/**
 * Which builds {@link BuildStore#list} returns, newest first: those of {@code repo} (any when null)
 * in {@code state} (any when null), at most {@code limit} of them.
 */
public record BuildFilter(String repo, BuildState state, int limit) {
  public BuildFilter {
    if (limit <= 0) {
      throw new IllegalArgumentException("a build list limit must be positive, not " + limit);
    }
  }

  /** The newest {@code limit} builds, whatever their repo or state. */
  public static BuildFilter newest(int limit) {
    return new BuildFilter(null, null, limit);
  }
}
