package org.bootfarm.coordinator.intake;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The active coordinator's intake of workers' {@link BuildReport}s ({@link Addresses#REPORT}): each is
 * handed to {@link BuildCoordinator#report}, which records or refuses it (or knows it as a repeat of a
 * report recorded before, answered as recorded), and answered once the store has decided, so the worker stops
 * sending it. A store failure answers with an error, and the worker sends
 * the report again later. In a farm with certificates a report counts only when its worker's own
 * certificate (or a coordinator's) signed it: the {@code workerId} in the body names whose lease it
 * must match, the signature proves the sender is that worker.
 */
public final class ReportConsumer {
  private static final System.Logger LOG = System.getLogger(ReportConsumer.class.getName());

  private final Vertx vertx;
  private final BuildCoordinator coordinator;
  private final SenderCheck senders;
  private MessageConsumer<Object> consumer;

  public ReportConsumer(Vertx vertx, BuildCoordinator coordinator, SenderCheck senders) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.senders = senders;
  }

  /** Starts consuming; the future completes when the consumer is registered cluster-wide. */
  public Future<Void> register() {
    consumer = vertx.eventBus().consumer(Addresses.REPORT, this::report);
    return consumer.completion();
  }

  public Future<Void> unregister() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void report(Message<Object> message) {
    BuildReport report;
    try {
      report = WireJson.read(String.valueOf(message.body()), BuildReport.class);
    } catch (WireJson.WireFormatException e) {
      message.fail(400, "malformed build report: " + e.getMessage());
      return;
    }
    if (!senders.fromCoordinatorOr(message, report.workerId(), "a " + report.state() + " report for build "
        + report.buildId() + " attempt " + report.attempt() + " in the name of worker '" + report.workerId() + "'")) {
      message.fail(403, "build report of " + report.buildId() + " refused: it is not signed by worker '"
          + report.workerId() + "''s farm certificate");
      return;
    }
    vertx.executeBlocking(() -> coordinator.report(report), false).onComplete(done -> {
      if (done.failed()) {
        message.fail(500, "build report of " + report.buildId() + " not recorded: " + done.cause().getMessage());
        return;
      }
      LeaseAction action = done.result();
      switch (action.decision()) {
        case REFUSED -> {
          LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: refused a report: " + action.reason());
          message.reply(new JsonObject().put("recorded", false).put("reason", action.reason()));
        }
        case REPEATED -> {
          LOG.log(System.Logger.Level.INFO, "bootfarm coordinator: " + action.reason());
          message.reply(new JsonObject().put("recorded", true).put("repeated", true));
        }
        default -> message.reply(new JsonObject().put("recorded", true));
      }
    });
  }
}
