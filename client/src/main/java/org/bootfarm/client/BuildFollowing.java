package org.bootfarm.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * One {@link FarmClient#follow} subscription to a build's event stream: each event goes to the
 * caller's consumer in the order it arrives, and the subscription ends by itself on the build's final
 * state event (SUCCEEDED, FAILED or CANCELLED), the last one the consumer receives. A build that had
 * already ended when the subscription started gets one state event made from its record, so a late
 * follower still learns the outcome.
 */
public final class BuildFollowing implements AutoCloseable {
  private final String buildId;
  private final Consumer<BuildEvent> events;
  private final Promise<Void> ready = Promise.promise();
  private final Promise<BuildEvent> ended = Promise.promise();
  private final AtomicBoolean over = new AtomicBoolean();
  private MessageConsumer<Object> consumer;

  BuildFollowing(String buildId, Consumer<BuildEvent> events) {
    this.buildId = buildId;
    this.events = events;
  }

  /** Called by the client once the consumer exists. */
  void attach(MessageConsumer<Object> consumer) {
    this.consumer = consumer;
    consumer.handler(message -> {
      BuildEvent event;
      try {
        event = WireJson.read(String.valueOf(message.body()), BuildEvent.class);
      } catch (WireJson.WireFormatException e) {
        return; // not an event of this version: a follower skips it rather than end
      }
      deliver(event);
    });
  }

  /** Called by the client with the build as read after the consumer was registered. */
  void registered(BuildView build) {
    ready.tryComplete();
    if (build.state().isFinal()) {
      deliver(BuildEvent.state(buildId, build.state(), build.error()));
    }
  }

  /** Called by the client when the subscription could not start (no such build, no coordinator). */
  void failed(Throwable cause) {
    ready.tryFail(cause);
    if (over.compareAndSet(false, true)) {
      ended.tryFail(cause);
      unregister();
    }
  }

  private void deliver(BuildEvent event) {
    if (over.get()) {
      return;
    }
    boolean last = event.type() == BuildEvent.Type.STATE && event.state() != null && event.state().isFinal();
    if (last && !over.compareAndSet(false, true)) {
      return;
    }
    events.accept(event);
    if (last) {
      unregister();
      ended.tryComplete(event);
    }
  }

  /** The build this follows. */
  public String buildId() {
    return buildId;
  }

  /**
   * Completes once the subscription is registered across the cluster and the build was found: events
   * published from then on are delivered. Fails with an {@link ApiErrorException} (NOT_FOUND for an
   * unknown build, UNAVAILABLE with no coordinator).
   */
  public Future<Void> ready() {
    return ready.future();
  }

  /**
   * Completes with the final state event once the build has ended; fails like {@link #ready}, or
   * with an {@link ApiErrorException} when the subscription is closed before the build ended.
   */
  public Future<BuildEvent> ended() {
    return ended.future();
  }

  /** The final state the build ended in, once {@link #ended} completed; else null. */
  public BuildState finalState() {
    return ended.future().succeeded() ? ended.future().result().state() : null;
  }

  /** Stops following before the build ended; the consumer gets nothing more. */
  @Override
  public void close() {
    if (over.compareAndSet(false, true)) {
      ended.tryFail(new ApiErrorException(new ApiError(ApiError.Code.CONFLICT,
          "stopped following build " + buildId + " before it ended", List.of())));
      ready.tryFail("stopped following build " + buildId + " before it was registered");
    }
    unregister();
  }

  private void unregister() {
    if (consumer != null) {
      consumer.unregister();
    }
  }
}
