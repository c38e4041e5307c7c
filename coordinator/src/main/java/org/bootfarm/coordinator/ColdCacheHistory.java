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
 * Feeds the placing pass's {@link ColdCacheCosts} from the build store (ADR 0052): from the newest recorded
 * successes, oldest first, at start and again when this coordinator becomes the active one ({@link #reload}: a
 * standby heard none of the successes the old active recorded), then each build whose success is recorded here.
 * Each run counts with the duration from its claim to its end and how it used its worker's package cache ({@code
 * packageCache}).
 */
final class ColdCacheHistory {
  /** How many of the newest SUCCEEDED builds seed the estimates at start: one read, a few per repo. */
  static final int SEED_BUILDS = 2_000;

  private final BuildStore store;
  private final Duration upTo;
  private ColdCacheCosts costs;

  /** Seeded from {@code store} now; {@code upTo} is {@code --steal-after}, the threshold's upper bound. */
  ColdCacheHistory(BuildStore store, Duration upTo) {
    this.store = store;
    this.upTo = upTo;
    reload();
  }

  synchronized ColdCacheCosts costs() {
    return costs;
  }

  /**
   * Forgets the estimates and seeds them again from the store's newest {@value #SEED_BUILDS} successes, in one read.
   * A success heard while this runs waits for it, so it counts in the new estimates (once more when the read
   * already held it: one run weighted twice, never one lost).
   */
  synchronized void reload() {
    ColdCacheCosts seeded = new ColdCacheCosts(upTo);
    List<BuildRecord> newest = new ArrayList<>(store.list(new BuildFilter(null, BuildState.SUCCEEDED, SEED_BUILDS)));
    Collections.reverse(newest);
    newest.forEach(build -> count(seeded, build));
    costs = seeded;
  }

  /** A report was decided: a recorded success adds its run to its repo's estimate. */
  void heard(LeaseAction action) {
    if (action.decision() == LeaseAction.Decision.SUCCEEDED) {
      store.get(action.buildId()).ifPresent(build -> {
        synchronized (this) {
          count(costs, build);
        }
      });
    }
  }

  private static void count(ColdCacheCosts into, BuildRecord build) {
    if (build.state() == BuildState.SUCCEEDED) {
      into.record(build.repo(), build.target(), build.packageCache(), build.startedAt(), build.finishedAt());
    }
  }
}
