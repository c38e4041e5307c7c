package org.bootfarm.coordinator;

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

  /** A build was accepted and durably queued (no state event is published for it: followers subscribe after). */
  default void submitted(BuildView build) {
  }

  /** A listener that ignores every change: a coordinator without an event bus. */
  BuildStateListener NONE = (build, text) -> { };
}
