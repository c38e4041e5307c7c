package org.bootfarm.worker.agent;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.transfer.Backoff;

/**
 * Delivers how each build ended: a report is a request to {@link Addresses#REPORT}, sent again with
 * {@link Backoff} while no coordinator answers (none consumes now, or it timed out), until the
 * report patience has passed. A coordinator's answer, recorded or refused, ends the sending; so does
 * giving up, after which the coordinator takes the build back when its lease runs out. Only a coordinator's
 * answer counts ({@link ClusterLink#request}, ADR 0064): another member's {@code {"recorded": true}} is refused,
 * logged, and the report sent again.
 */
final class ReportSender {
  /** How long one report waits for the coordinator's answer. */
  static final Duration REPORT_TIMEOUT = Duration.ofSeconds(10);

  private final ClusterLink link;
  private final Backoff backoff;
  private final Duration patience;
  private final WorkerLog log;
  /** Told when a report's sending ended, answered or given up. */
  private final Consumer<BuildReport> done;
  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("bootfarm-report-retry"));
  /** Builds whose report was sent and not answered yet: it is being sent again. */
  private final Set<String> waiting = ConcurrentHashMap.newKeySet();

  ReportSender(ClusterLink link, Backoff backoff, Duration patience, WorkerLog log, Consumer<BuildReport> done) {
    this.link = link;
    this.backoff = backoff;
    this.patience = patience;
    this.log = log;
    this.done = done;
  }

  /** Sends a report until a coordinator answers or the patience runs out. */
  void send(BuildReport report) {
    send(report, 1, System.nanoTime() + patience.toNanos());
  }

  private void send(BuildReport report, int tries, long deadline) {
    link.request(Addresses.REPORT, new JsonObject(WireJson.write(report)), REPORT_TIMEOUT).onComplete(answer -> {
      if (answer.succeeded()) {
        JsonObject body = answer.result().body() instanceof JsonObject json ? json : new JsonObject();
        log.info("report of build " + report.buildId() + " run " + (report.attempt() + 1) + " "
            + (!body.getBoolean("recorded", false) ? "refused: " + body.getString("reason")
                : body.getBoolean("repeated", false) ? "recorded (by an earlier try, whose answer was lost or late)"
                : "recorded")
            + " after " + tries + " tr" + (tries == 1 ? "y" : "ies"));
        end(report);
      } else {
        retry(report, tries, deadline, answer.cause().getMessage() != null ? answer.cause().getMessage()
            : answer.cause().toString());
      }
    });
  }

  private void retry(BuildReport report, int tries, long deadline, String why) {
    waiting.add(report.buildId());
    long wait = backoff.delay(tries).toNanos();
    if (System.nanoTime() + wait > deadline) {
      log.warning("gave up reporting build " + report.buildId() + " after " + tries + " tries in " + patience
          + " (" + why + "); the coordinator takes it back when its lease runs out");
      end(report);
      return;
    }
    if (tries == 1 || tries % 10 == 0) {
      log.info("report of build " + report.buildId() + " not answered (" + why + "); sending it again with backoff");
    }
    retries.schedule(() -> send(report, tries + 1, deadline), wait, TimeUnit.NANOSECONDS);
  }

  private void end(BuildReport report) {
    waiting.remove(report.buildId());
    done.accept(report);
  }

  /** The builds whose report no coordinator has answered yet, sorted: they are being sent again. */
  List<String> waiting() {
    return waiting.stream().sorted().toList();
  }

  void close() {
    retries.shutdownNow();
  }
}
