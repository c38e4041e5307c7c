package org.bootfarm.coordinator.daemon;

import org.bootfarm.coordinator.BuildStateListener;
import org.bootfarm.coordinator.assignment.WorkerInbox;
import org.bootfarm.coordinator.bus.BuildStatePublisher;
import org.bootfarm.coordinator.metrics.FarmMetrics;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.BuildView;

/**
 * Where the {@link org.bootfarm.coordinator.BuildCoordinator}'s state changes go: published on the build's
 * event address, counted in the farm's metrics, and a run cancelled while running is told to stop on its
 * worker's inbox.
 */
final class BuildStateFanout implements BuildStateListener {
  private final BuildStatePublisher states;
  private final FarmMetrics metrics;
  private final WorkerInbox inbox;

  BuildStateFanout(BuildStatePublisher states, FarmMetrics metrics, WorkerInbox inbox) {
    this.states = states;
    this.metrics = metrics;
    this.inbox = inbox;
  }

  @Override
  public void changed(BuildView build, String text) {
    states.changed(build, text);
    metrics.changed(build, text);
  }

  @Override
  public void submitted(BuildView build) {
    metrics.submitted(build);
  }

  @Override
  public void leaseDecided(LeaseAction action) {
    states.changed(action);
    metrics.changed(action);
  }

  @Override
  public void cancelledWhileRunning(BuildView build, String worker, int attempt) {
    inbox.stopRun(build.id(), worker, attempt);
  }
}
