package org.bootfarm.coordinator;

import java.util.HashSet;
import java.util.Set;
import org.bootfarm.coordinator.queue.BuildRecord;

/**
 * Where a submission waits, before its build is recorded and its id answered, until the artifacts the build needs
 * (its pinned definition, its components) are held by a coordinator other than this one, so that the build still
 * runs if this one dies the next moment (docs/adr/0042). Alone (SQLite, no standby) nothing is waited for.
 */
@FunctionalInterface
public interface InputReplicas {
  /**
   * Returns once another coordinator confirmed it holds every one of {@code sha256s}, or when there is none to ask,
   * or when the bounded wait ran out (then counted and logged, never thrown: the build is accepted all the same).
   * Blocks; call off the event loop.
   *
   * @param buildId the build the inputs are for, named in the log when they could not be copied in time
   */
  void awaitHeld(String buildId, Set<String> sha256s);

  /** {@link #awaitHeld} for what {@code build} needs: its pinned definition, its components, its pinned buildinfo. */
  default void awaitHeld(BuildRecord build) {
    Set<String> inputs = new HashSet<>(build.components().values());
    inputs.add(build.definitionDigest());
    inputs.add(build.pinnedBuildinfo());
    inputs.remove(null);
    awaitHeld(build.id(), inputs);
  }

  /** Nothing waited for: a coordinator without standbys. */
  InputReplicas NONE = (buildId, sha256s) -> { };
}
