package org.bootfarm.coordinator.assignment;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.protocol.api.v1.Assignment;

/**
 * The active coordinator's placing loop: on a timer, has {@link BuildCoordinator#assign} place up to
 * {@value #BUILDS_PER_TICK} queued builds and sends each to its worker's inbox as an {@link
 * AssignmentFactory} message; a build whose message cannot be made (its pinned definition is gone) fails.
 */
public final class AssignmentDispatcher {
  /** How many queued builds one tick places at most. */
  static final int BUILDS_PER_TICK = 16;

  private final Vertx vertx;
  private final BuildCoordinator coordinator;
  private final AssignmentFactory assignments;
  private final WorkerInbox inbox;
  /** Passes asked for and not yet begun, plus the one running: 0 when none runs. */
  private final AtomicInteger requested = new AtomicInteger();

  public AssignmentDispatcher(Vertx vertx, BuildCoordinator coordinator, AssignmentFactory assignments,
      WorkerInbox inbox) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.assignments = assignments;
    this.inbox = inbox;
  }

  /** Places every {@code every} from now on; returns the Vert.x timer id, to be cancelled by the caller. */
  public long start(Duration every) {
    return vertx.setPeriodic(every.toMillis(), id -> assignQueued());
  }

  /**
   * Places queued builds (on a worker thread) and sends each to its worker. One pass runs at a time: a call
   * while one runs makes it run once more when it ends, so passes slower than the timer (a long queue on a
   * busy store) never pile up on Vert.x's worker threads, which every API call needs too (ADR 0045).
   */
  public void assignQueued() {
    if (requested.getAndIncrement() > 0) {
      return; // the running pass sees this request and passes again
    }
    vertx.executeBlocking(() -> {
      boolean ended = false;
      try {
        int seen;
        do {
          seen = requested.get();
          try {
            pass();
          } catch (RuntimeException e) {
            // as a failed pass always was: dropped, the next one tries again
          }
        } while (requested.addAndGet(-seen) > 0);
        ended = true;
      } finally {
        if (!ended) {
          requested.set(0); // an Error: the next call starts a pass again
        }
      }
      return null;
    }, false);
  }

  private void pass() {
    for (BuildCoordinator.Assignment placed : coordinator.assign(BUILDS_PER_TICK)) {
      Assignment assignment;
      try {
        assignment = assignments.assignmentFor(placed);
      } catch (IOException | RuntimeException e) {
        // e.g. its pinned definition is gone: no run of it can ever start, so it fails now, not at lease expiry
        coordinator.failUnassignable(placed.build().id(), e.getMessage());
        continue;
      }
      inbox.assign(placed.workerId(), assignment);
    }
  }
}
