package org.bootfarm.coordinator.failover;

import java.util.function.Consumer;

/**
 * Which coordinator is the active one: the only one, on its own SQLite store ({@link SoleCoordinator}), or the
 * holder of the shared PostgreSQL store's term lock ({@link TermElection}).
 */
public interface Election {
  /** Whether this coordinator is (or may now become) the active one. */
  boolean thisOneLeads();

  /** The node id of the coordinator that is (or should be) active, "(none)" when none is known. */
  String leader();

  /** Calls {@code why} with a reason each time the active coordinator may have changed (on the event loop). */
  void onLeaderMayHaveChanged(Consumer<String> why);
}
