package org.bootfarm.coordinator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bootfarm.coordinator.placement.ColdCacheCosts;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.BuildState;

/**
 * Feeds the placing pass's {@link ColdCacheCosts} from the build store (ADR 0052): at start from the newest
 * recorded successes, oldest first, then each build whose success is recorded. Each run counts with the duration
 * from its claim to its end and how it used its worker's package cache ({@code packageCache}).
 */
final class ColdCacheHistory {
  /** How many of the newest SUCCEEDED builds seed the estimates at start: one read, a few per repo. */
  static final int SEED_BUILDS = 2_000;

  private final BuildStore store;
  private final ColdCacheCosts costs;

  /** Seeded from {@code store} now; {@code upTo} is {@code --steal-after}, the threshold's upper bound. */
  ColdCacheHistory(BuildStore store, Duration upTo) {
    this.store = store;
    this.costs = new ColdCacheCosts(upTo);
    List<BuildRecord> newest = new ArrayList<>(store.list(new BuildFilter(null, BuildState.SUCCEEDED, SEED_BUILDS)));
    Collections.reverse(newest);
    newest.forEach(this::count);
  }

  ColdCacheCosts costs() {
    return costs;
  }

  /** A report was decided: a recorded success adds its run to its repo's estimate. */
  void heard(LeaseAction action) {
    if (action.decision() == LeaseAction.Decision.SUCCEEDED) {
      store.get(action.buildId()).ifPresent(this::count);
    }
  }

  private void count(BuildRecord build) {
    if (build.state() == BuildState.SUCCEEDED) {
      costs.record(build.repo(), build.target(), build.packageCache(), build.startedAt(), build.finishedAt());
    }
  }
}
