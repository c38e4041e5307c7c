package org.bootfarm.coordinator;

import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.BuildView;

/**
 * Hears every state change of a build the moment the store has made it: claimed (RUNNING), put back
 * in the queue (QUEUED), finished, failed or cancelled. The coordinator daemon publishes each as a
 * {@code BuildEvent.state} on the build's event address, so a follower learns how its build ended
 * without polling. Called on the thread that made the change; must not block.
 */
@FunctionalInterface
public interface BuildStateListener {
  /**
   * @param build the build as it is after the change
   * @param text  why, for a person: the placement reason, the error, who cancelled it
   */
  void changed(BuildView build, String text);

  /**
   * A build is about to be recorded and its id answered: returns once the artifacts it needs are held where they
   * outlive this coordinator ({@link InputReplicas}, docs/adr/0042). Unlike the other calls it may block; it is
   * called off the event loop, on the thread that records the build.
   */
  default void accepting(BuildRecord build) {
  }

  /** A build was accepted and durably queued (no state event is published for it: followers subscribe after). */
  default void submitted(BuildView build) {
  }

  /**
   * A build was cancelled while {@code worker} ran it, under {@code attempt} (its attempts count when it was
   * claimed): the run must be told to stop, or it holds the worker's slot to its end (its late report is
   * refused either way). Called after {@link #changed} for the same cancellation; must not block.
   */
  default void cancelledWhileRunning(BuildView build, String worker, int attempt) {
  }

  /**
   * A decision about a worker's run ({@link org.bootfarm.coordinator.queue.LeaseReconciler}'s): a report
   * recorded or refused, a lost run re-queued or failed, a lease extended after a takeover. REFUSED and
   * LEASE_EXTENDED change no state. Called on the thread that made it; must not block.
   */
  default void leaseDecided(LeaseAction action) {
  }

  /**
   * A worker's report of build {@code buildId} was refused because it names an artifact the coordinator's store
   * does not hold as reported ({@code why}); the run was retried or failed as a transient failure, reported to
   * {@link #leaseDecided} apart. Must not block.
   */
  default void reportRefused(String buildId, String workerId, String why) {
  }

  /**
   * A build was claimed by a worker other than {@code warmWorker}, the busy one whose package cache for its repo
   * is warm, because it waited longer than a cold cache costs (ADR 0046); called after {@link #changed} for the
   * claim. Must not block.
   */
  default void stolen(BuildView build, String warmWorker) {
  }

  /** A listener that ignores every change: a coordinator without an event bus. */
  BuildStateListener NONE = (build, text) -> { };
}
