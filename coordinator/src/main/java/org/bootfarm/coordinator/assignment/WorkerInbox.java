package org.bootfarm.coordinator.assignment;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * What the coordinator sends to one worker's inbox ({@link Addresses#workerInbox}): a build to run, or
 * the order to stop a run that was cancelled. Sends only; what to send is decided by the caller.
 */
public final class WorkerInbox {
  private static final System.Logger LOG = System.getLogger(WorkerInbox.class.getName());

  private final Vertx vertx;

  public WorkerInbox(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends {@code assignment} to {@code workerId}. */
  public void assign(String workerId, Assignment assignment) {
    vertx.eventBus().send(Addresses.workerInbox(workerId), new JsonObject(WireJson.write(assignment)));
  }

  /**
   * Tells {@code workerId} to stop run {@code attempt} of {@code buildId} ({@link RunCancel}), so its slot is
   * free at once; on a closing event bus the run goes on to its end and its report is refused.
   */
  public void stopRun(String buildId, String workerId, int attempt) {
    try {
      vertx.eventBus().send(Addresses.workerInbox(workerId), new JsonObject(WireJson.write(new RunCancel(buildId,
          attempt))));
      LOG.log(System.Logger.Level.INFO, "bootfarm coordinator: build " + buildId + ": cancelled while running on"
          + " worker " + workerId + "; told it to stop");
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: build " + buildId + ": cancelled while running on"
          + " worker " + workerId + ", but it could not be told to stop (" + e + "); it runs to its end");
    }
  }
}
