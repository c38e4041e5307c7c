package org.bootfarm.coordinator.daemon;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.bootfarm.coordinator.BuildStateListener;
import org.bootfarm.coordinator.InputReplicas;
import org.bootfarm.coordinator.assignment.WorkerInbox;
import org.bootfarm.coordinator.bus.BuildStatePublisher;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.metrics.FarmMetrics;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.protocol.api.v1.BuildView;

/**
 * Where the {@link org.bootfarm.coordinator.BuildCoordinator}'s state changes go: published on the build's
 * event address, counted in the farm's metrics, a run cancelled while running is told to stop on its
 * worker's inbox, and a submitted build's pinned definition is announced to the other coordinators; a build
 * about to be accepted waits for its inputs to be held by a standby ({@link #keepInputsWith}, ADR 0042). A lease
 * extended because this coordinator heard no worker (ADR 0043) is logged: it is the operator's sign of a
 * coordinator cut off from its workers.
 */
final class BuildStateFanout implements BuildStateListener {
  private static final System.Logger LOG = System.getLogger(BuildStateFanout.class.getName());
  private final BuildStatePublisher states;
  private final FarmMetrics metrics;
  private final WorkerInbox inbox;
  private final Supplier<ArtifactReplication> replication;
  private volatile InputReplicas replicas = InputReplicas.NONE;
  /**
   * How long a pinned definition, once announced, is not announced again: every submission of a repo pins the same
   * digest, and one event-bus message per submission to say so again cost as much as the submission's own answer
   * (ADR 0051); a standby that needs it before accepting a build is asked anyway (ADR 0042).
   */
  static final Duration ANNOUNCE_AGAIN_AFTER = Duration.ofSeconds(10);
  private final Map<String, Long> announced = new ConcurrentHashMap<>(); // digest -> System.nanoTime() of it

  /** @param replication tells the other coordinators of a submitted build's pinned definition (null until started) */
  BuildStateFanout(BuildStatePublisher states, FarmMetrics metrics, WorkerInbox inbox,
      Supplier<ArtifactReplication> replication) {
    this.states = states;
    this.metrics = metrics;
    this.inbox = inbox;
    this.replication = replication;
  }

  /** Builds about to be accepted wait for {@code replicas} (none until set: a coordinator alone). */
  void keepInputsWith(InputReplicas replicas) {
    this.replicas = replicas;
  }

  @Override
  public void accepting(BuildRecord build) {
    replicas.awaitHeld(build);
  }

  @Override
  public void changed(BuildView build, String text) {
    states.changed(build, text);
    metrics.changed(build, text);
  }

  @Override
  public void stolen(BuildView build, String warmWorker) {
    metrics.stolen(build, warmWorker);
  }

  @Override
  public void submitted(BuildView build) {
    metrics.submitted(build);
    ArtifactReplication replicating = replication.get();
    if (build.definitionDigest() != null && replicating != null && announceNow(build.definitionDigest())) {
      // stored by the submission, not uploaded: announced here so a standby copies it as it copies uploads
      replicating.announce(new ArtifactStore.PutResult(build.definitionDigest(), 0, false));
    }
  }

  /** Whether {@code digest} was not announced in the last {@link #ANNOUNCE_AGAIN_AFTER}; if so, it is from now. */
  private boolean announceNow(String digest) {
    long now = System.nanoTime();
    Long last = announced.get(digest);
    if (last != null && now - last < ANNOUNCE_AGAIN_AFTER.toNanos()) {
      return false;
    }
    return last == null ? announced.putIfAbsent(digest, now) == null : announced.replace(digest, last, now);
  }

  @Override
  public void leaseDecided(LeaseAction action) {
    if (action.cause() == LeaseAction.Cause.COORDINATOR_DEAF) {
      LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: build " + action.buildId() + ": " + action.reason());
    }
    states.changed(action);
    metrics.changed(action);
  }

  @Override
  public void reportRefused(String buildId, String workerId, String why) {
    metrics.reportRefused(buildId, workerId, why);
  }

  @Override
  public void cancelledWhileRunning(BuildView build, String worker, int attempt) {
    inbox.stopRun(build.id(), worker, attempt);
  }
}
