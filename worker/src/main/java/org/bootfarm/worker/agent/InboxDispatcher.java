package org.bootfarm.worker.agent;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.function.Consumer;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInboxMessage;

/**
 * Reads the worker's {@link Addresses#workerInbox}: decodes each message once into a {@link
 * WorkerInboxMessage} and hands it on by its type, an {@link Assignment} to be run or a {@link
 * RunCancel} to stop one. A message that is neither (from a newer coordinator, say) is logged and
 * ignored. An assignment whose fields are not all of their shape ({@link Assignment#problems()}: a repo of
 * {@code ../../etc/cron.d}, a component named as a path) is refused before anything touches the disk:
 * logged with every problem, counted ({@code bootfarm_worker_inbox_refused_total}) and otherwise ignored.
 * In a farm with certificates only a coordinator's signed message is read at all (ADR 0031); another
 * sender's is refused the same way, as {@code unauthenticated}.
 */
final class InboxDispatcher {
  private final String workerId;
  private final Consumer<Assignment> assignments;
  private final Consumer<RunCancel> cancels;
  private final Consumer<String> refused;
  private final WorkerLog log;

  /** @param refused told the reason of each message refused (for the worker's metrics) */
  InboxDispatcher(String workerId, Consumer<Assignment> assignments, Consumer<RunCancel> cancels,
      Consumer<String> refused, WorkerLog log) {
    this.workerId = workerId;
    this.assignments = assignments;
    this.cancels = cancels;
    this.refused = refused;
    this.log = log;
  }

  /** Starts reading the inbox on {@code vertx}; returns once the consumer is registered. */
  MessageConsumer<Object> listen(Vertx vertx, SenderCheck senders) {
    MessageConsumer<Object> inbox = vertx.eventBus().consumer(Addresses.workerInbox(workerId), message -> {
      if (senders.fromCoordinator(message, "a message to worker '" + workerId + "''s inbox")) {
        dispatch(message.body());
      } else {
        log.warning("refused a message on the inbox that no coordinator of this farm signed; nothing of it was"
            + " read or written");
        refused.accept("unauthenticated");
      }
    });
    inbox.completion().await();
    return inbox;
  }

  /** Acts on one inbox body (a JSON object, or its text). */
  void dispatch(Object body) {
    WorkerInboxMessage message;
    try {
      message = WireJson.read(String.valueOf(body), WorkerInboxMessage.class);
    } catch (WireJson.WireFormatException e) {
      log.warning("ignored a message on the inbox that is neither an assignment nor a run cancel"
          + " (a newer coordinator?): " + e.getMessage());
      refused.accept("unreadable");
      return;
    }
    if (message instanceof RunCancel cancel) {
      cancels.accept(cancel);
    } else if (message instanceof Assignment assignment) {
      List<String> problems = assignment.problems();
      if (problems.isEmpty()) {
        assignments.accept(assignment);
      } else {
        log.warning("refused an assignment, nothing of it was written: " + String.join("; ", problems));
        refused.accept("malformed_assignment");
      }
    } else {
      log.warning("ignored an empty message on the inbox");
    }
  }
}
