package org.bootfarm.coordinator.placement;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer of placement for one build: the chosen worker, or none with why not, and a
 * human-readable reason that goes into the build record either way.
 *
 * @param outcome whether the build was placed, waits for capacity, or has no capable live worker
 * @param workerId the chosen worker's id, present exactly when {@code outcome} is {@code PLACED}
 * @param reason why it went there or why it cannot go anywhere, e.g. {@code "worker w2: rank 1 of
 *     3 for photon-2.0 (tdnf, x86_64), cache warm (revision 1700000000), load 2/5 (bound 5, 4
 *     slots)"} or {@code "no live worker runs yum"}
 */
public record Placement(Outcome outcome, Optional<String> workerId, String reason) {

  /** The three things placement can answer. */
  public enum Outcome {
    /** A worker was chosen. */
    PLACED,
    /** Capable live workers exist but all are at their load bound: the build stays queued. */
    WAITING_FOR_CAPACITY,
    /** No live worker can run it at all (package manager, arch or disk): it stays queued. */
    NO_CAPABLE_WORKER
  }

  public Placement {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(workerId, "workerId");
    Objects.requireNonNull(reason, "reason");
    if (workerId.isPresent() != (outcome == Outcome.PLACED)) {
      throw new IllegalArgumentException(
          "a placement has a worker exactly when it is PLACED, got " + outcome + " " + workerId);
    }
  }

  static Placement on(String workerId, String reason) {
    return new Placement(Outcome.PLACED, Optional.of(workerId), reason);
  }

  static Placement waiting(String reason) {
    return new Placement(Outcome.WAITING_FOR_CAPACITY, Optional.empty(), reason);
  }

  static Placement nowhere(String reason) {
    return new Placement(Outcome.NO_CAPABLE_WORKER, Optional.empty(), reason);
  }

  /** Whether a worker was chosen. */
  public boolean placed() {
    return outcome == Outcome.PLACED;
  }
}
