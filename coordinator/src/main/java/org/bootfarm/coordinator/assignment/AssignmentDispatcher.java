package org.bootfarm.coordinator.assignment;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;

/**
 * The active coordinator's placing loop: on a timer, has {@link BuildCoordinator#assign} place up to
 * {@value #BUILDS_PER_TICK} queued builds and sends each to its worker's inbox as an {@link
 * AssignmentFactory} message; a build whose message cannot be made fails with the reason.
 */
public final class AssignmentDispatcher {
  /** How many queued builds one tick places at most. */
  static final int BUILDS_PER_TICK = 16;

  private final Vertx vertx;
  private final BuildCoordinator coordinator;
  private final AssignmentFactory assignments;
  private final WorkerInbox inbox;

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

  /** Places queued builds (on a worker thread) and sends each to its worker. */
  public void assignQueued() {
    vertx.executeBlocking(() -> {
      for (BuildCoordinator.Assignment placed : coordinator.assign(BUILDS_PER_TICK)) {
        org.bootfarm.protocol.api.v1.Assignment message;
        try {
          message = assignments.assignmentFor(placed);
        } catch (java.io.IOException | RuntimeException e) {
          failUnassignable(placed, e);
          continue;
        }
        inbox.assign(placed.workerId(), message);
      }
      return null;
    }, false);
  }

  /**
   * A placed build whose assignment cannot be made (its definition or a rebuild's pinned buildinfo cannot be
   * read) could run nowhere: it FAILS now with the reason, deterministically, instead of waiting for its lease to
   * run out and being placed again and again; the builds placed with it still go to their workers.
   */
  private void failUnassignable(BuildCoordinator.Assignment placed, Exception e) {
    coordinator.report(new BuildReport(placed.build().id(), placed.workerId(), placed.build().attempts(),
        BuildState.FAILED, List.of(), List.of(), "the coordinator could not make the assignment of build "
        + placed.build().id() + ": " + e.getMessage(), "INPUT", true, null));
  }
}
