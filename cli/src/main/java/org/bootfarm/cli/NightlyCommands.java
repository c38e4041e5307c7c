package org.bootfarm.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.bootfarm.client.BridgeClient;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The client commands of reproducibility: {@code bootfarm nightly} (the latest run's report; with
 * {@code --now} a run started now, with {@code --wait} followed to its end) and {@code bootfarm verify
 * ID} (that build rebuilt on another worker, and the verdict). Both exit 0 only when every pair they
 * show is REPRODUCIBLE, 1 otherwise (and the codes of {@link ClientCommands} for refusals).
 */
final class NightlyCommands {
  private NightlyCommands() {}

  /** How often a followed run or pair is read again. */
  static final Duration POLL = Duration.ofSeconds(1);

  @Command(name = "nightly", mixinStandardHelpOptions = true,
      description = "Show the latest nightly reproducibility run; --now starts one, --wait follows it to its end.")
  static final class Nightly extends ClientCommands.ClientCommand {
    @Option(names = "--now", description = "start a nightly run now over every repo some live worker can build")
    boolean now;

    @Option(names = "--wait", description = "follow the run until every pair is judged, then print the report")
    boolean await;

    @Option(names = "--id", paramLabel = "RUN", description = "show this run instead of the latest")
    String id;

    @Option(names = "--patience", defaultValue = "6h", converter = DurationConverter.class,
        description = "with --wait, how long to follow the run at most (default: ${DEFAULT-VALUE})")
    Duration patience;

    @Override
    int run(BridgeClient farm) throws Exception {
      PrintStream notes = client.json ? System.err : System.out;
      NightlyReport run = now ? farm.nightlyRunNow() : id != null ? farm.nightly(id) : farm.nightlyLatest();
      if (now) {
        notes.println("nightly run " + run.id() + " started: " + run.pairs().size() + " reproducibility pairs"
            + (run.notes().isEmpty() ? "" : "; " + String.join("; ", run.notes())));
      }
      if (await) {
        long deadline = System.nanoTime() + patience.toNanos();
        Set<String> told = new HashSet<>();
        while (!run.ended() && System.nanoTime() < deadline) {
          for (ReproducibilityPair pair : run.pairs()) {
            if (pair.hasVerdict() && told.add(pair.id())) {
              System.err.println("  " + pair.repo() + " " + pair.target() + ": " + pair.outcome());
            }
          }
          Thread.sleep(POLL.toMillis());
          run = farm.nightly(run.id());
        }
      }
      if (client.json) {
        printJson(run);
      } else {
        printReport(run, farm, System.out);
      }
      return run.allReproducible() ? 0 : ClientCommands.BUILD_FAILED;
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Rebuild a build (same repo, target and components) on a different worker and print the verdict.")
  static final class Verify extends ClientCommands.ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "a SUCCEEDED build of the farm")
    String id;

    @Option(names = "--patience", defaultValue = "6h", converter = DurationConverter.class,
        description = "how long to wait for the rebuild and the verdict at most (default: ${DEFAULT-VALUE})")
    Duration patience;

    @Override
    int run(BridgeClient farm) throws Exception {
      ReproducibilityPair pair = farm.verify(id);
      (client.json ? System.err : System.out).println("build " + id + " is rebuilt as " + pair.right()
          + " on a worker other than " + pair.leftWorker() + "; waiting for the verdict");
      long deadline = System.nanoTime() + patience.toNanos();
      while (!pair.hasVerdict() && System.nanoTime() < deadline) {
        Thread.sleep(POLL.toMillis());
        pair = farm.pair(pair.id());
      }
      if (client.json) {
        printJson(pair);
      } else {
        printVerdict(pair, farm, System.out);
      }
      return pair.outcome() == Verdict.Outcome.REPRODUCIBLE ? 0 : ClientCommands.BUILD_FAILED;
    }
  }

  /** One line per repo and target: the outcome, both builds, and where it differs or why it failed. */
  static void printReport(NightlyReport run, BridgeClient farm, PrintStream out) {
    out.println("nightly run " + run.id() + " (" + run.trigger() + (run.scheduledFor() == null ? ""
        : " for " + run.scheduledFor()) + "), started " + run.startedAt() + ", "
        + (run.ended() ? "ended " + run.finishedAt() : "still running"));
    for (String note : run.notes()) {
      out.println("  note: " + note);
    }
    out.printf(Locale.ROOT, "%-20s %-10s %-15s %-28s %-28s %s%n", "REPO", "TARGET", "VERDICT", "LEFT", "RIGHT",
        "DETAIL");
    for (ReproducibilityPair pair : run.pairs()) {
      out.printf(Locale.ROOT, "%-20s %-10s %-15s %-28s %-28s %s%n", pair.repo(), pair.target(),
          pair.outcome() == null ? "RUNNING" : pair.outcome(), side(pair.left(), pair.leftWorker()),
          side(pair.right(), pair.rightWorker()), detail(pair));
    }
    out.println("report: " + reportUrl(farm, "/nightly/" + run.id()));
  }

  /** A pair's verdict: the outcome, both builds, the first differing stage and the files that differ. */
  static void printVerdict(ReproducibilityPair pair, BridgeClient farm, PrintStream out) {
    out.println((pair.outcome() == null ? "NOT JUDGED YET" : pair.outcome().name()) + "  " + pair.repo() + " "
        + pair.target() + "  left " + side(pair.left(), pair.leftWorker()) + "  right "
        + side(pair.right(), pair.rightWorker()));
    Verdict verdict = pair.verdict();
    if (verdict != null) {
      if (verdict.error() != null) {
        out.println("error: " + verdict.error());
      }
      if (verdict.firstDifferingStage() != null) {
        out.println("first differing stage: " + verdict.firstDifferingStage());
      }
      for (Verdict.FileDifference file : verdict.files()) {
        out.println("  differs: " + file.image() + ":" + file.path() + " (" + file.what() + ")");
      }
      for (String note : verdict.notes()) {
        out.println("  note: " + note);
      }
    }
    out.println("report: " + reportUrl(farm, "/verdicts/" + pair.id()));
  }

  private static String side(String build, String worker) {
    return build == null ? "-" : worker == null ? build : build + "@" + worker;
  }

  private static String detail(ReproducibilityPair pair) {
    Verdict verdict = pair.verdict();
    if (verdict == null) {
      return "";
    }
    if (verdict.error() != null) {
      return verdict.error();
    }
    if (verdict.outcome() == Verdict.Outcome.UNREPRODUCIBLE) {
      return "first differing stage " + verdict.firstDifferingStage() + "; " + verdict.files().size()
          + " files differ" + (verdict.files().isEmpty() ? "" : ", e.g. " + verdict.files().get(0).path());
    }
    return "";
  }

  private static String reportUrl(BridgeClient farm, String path) {
    try {
      return farm.info().artifactsUrl() + path;
    } catch (RuntimeException e) {
      return path + " on the coordinator's HTTP API";
    }
  }
}
