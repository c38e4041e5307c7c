package org.bootfarm.coordinator.bus;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.bootfarm.coordinator.BuildStateListener;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * Publishes a build's state changes as {@link BuildEvent#state} on its {@link Addresses#buildEvents}
 * address, beside the worker's stage and log events: RUNNING when claimed, QUEUED when a run was lost
 * or failed transiently, and the final SUCCEEDED, FAILED or CANCELLED, which is the last event a
 * follower of the build receives.
 */
public final class BuildStatePublisher implements BuildStateListener {
  private final Vertx vertx;

  public BuildStatePublisher(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public void changed(BuildView build, String text) {
    publish(build.id(), build.state(), text);
  }

  /** Publishes what a lease reconciler decision did to its build; REFUSED, LEASE_EXTENDED and REPEATED change no state. */
  public void changed(LeaseAction action) {
    switch (action.decision()) {
      case REQUEUED -> publish(action.buildId(), BuildState.QUEUED, action.reason());
      case FAILED -> publish(action.buildId(), BuildState.FAILED, action.reason());
      case SUCCEEDED -> publish(action.buildId(), BuildState.SUCCEEDED, action.reason());
      case REFUSED, LEASE_EXTENDED, REPEATED -> { }
    }
  }

  private void publish(String buildId, BuildState state, String text) {
    vertx.eventBus().publish(Addresses.buildEvents(buildId),
        new JsonObject(WireJson.write(BuildEvent.state(buildId, state, text))));
  }
}
