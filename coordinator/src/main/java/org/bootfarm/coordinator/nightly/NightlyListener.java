package org.bootfarm.coordinator.nightly;

import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;

/**
 * Hears what {@link NightlyRuns} records as it happens, on the coordinator that handles it (the
 * active one): a run started, a pair got its verdict (nightly or {@code verify}). The coordinator's
 * counters listen here. Called on the thread that recorded it; must not block.
 */
public interface NightlyListener {
  /** A run was recorded and its pairs are being submitted. */
  default void runStarted(NightlyReport run) {
  }

  /** A pair was judged: {@code pair.verdict()} is set. */
  default void judged(ReproducibilityPair pair) {
  }

  /** A listener that ignores everything. */
  NightlyListener NONE = new NightlyListener() { };
}
