package org.bootfarm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.nio.file.Files;
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

  /** The stand-in components the embedded farm's nightly builds take when none are named. */
  static final Path EXAMPLE_COMPONENTS = Path.of("examples", "components");

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

    @Option(names = "--embedded", description = "start a farm in this process (a coordinator and two workers on"
        + " 127.0.0.1), run the command against it, and stop it again")
    boolean embedded;

    @Option(names = "--embedded-dir", paramLabel = "DIR",
        defaultValue = "${env:BOOTFARM_DATA_DIR:-/var/lib/bootfarm}/embedded",
        description = "with --embedded, where the farm keeps its state (default: ${DEFAULT-VALUE})")
    Path embeddedDir;

    @Option(names = "--repos", defaultValue = "repos", paramLabel = "DIR",
        description = "with --embedded, the repo definitions it builds (default: ${DEFAULT-VALUE})")
    Path repos;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "with --embedded, the first worker's package"
        + " cache (default: as bootfarm build); the second's is <cache-dir>/workers/2")
    Path cacheDir;

    @Option(names = "--keys", paramLabel = "DIR", description = "with --embedded, trusted GPG keys (default: as"
        + " bootfarm check)")
    Path keys;

    @Option(names = "--component", paramLabel = "NAME=FILE", description = "with --embedded, a component the"
        + " nightly builds take (default: every file of examples/components)")
    Map<String, Path> components = new java.util.LinkedHashMap<>();

    @Option(names = "--allow-unsigned", paramLabel = "REPO", split = "\\s*,\\s*", description = "with --embedded, allow"
        + " repo REPO to install packages without a signature check (as the coordinator's --allow-unsigned);"
        + " repeatable")
    java.util.List<String> allowUnsigned = new java.util.ArrayList<>();

    @Override
    AutoCloseable prepare() throws Exception {
      if (!embedded) {
        return super.prepare();
      }
      System.err.println("starting an embedded farm in " + embeddedDir + " (a coordinator and two workers)");
      if (components.isEmpty() && Files.isDirectory(EXAMPLE_COMPONENTS)) {
        try (var files = Files.list(EXAMPLE_COMPONENTS)) {
          files.filter(Files::isRegularFile).sorted()
              .forEach(file -> components.put(file.getFileName().toString(), file.toAbsolutePath()));
        }
        System.err.println("components: " + components.keySet() + " from " + EXAMPLE_COMPONENTS);
      }
      EmbeddedFarm started = EmbeddedFarm.start(embeddedDir, repos, Defaults.keysDir(keys),
          Defaults.cacheDir(cacheDir), components, Set.copyOf(allowUnsigned));
      client.farm = started.farm();
      client.token = started.token();
      System.err.println("the embedded farm's tokens are in " + started.tokensFile() + " (client 'local' is admin),"
          + " its members' certificates are of the farm CA in " + started.caDir());
      return started;
    }

    @Override
    int run(BridgeClient farm) throws Exception {
      if (embedded && now) {
        awaitWorkers(farm, 2);
      }
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
      if (embedded) {
        System.out.println("report saved: " + saveReport(farm, run, embeddedDir.resolve("reports"),
            client.token).toUri());
      }
      return run.allReproducible() ? 0 : ClientCommands.BUILD_FAILED;
    }
  }

  /**
   * Saves the run's HTML report and each pair's diff report beside it, so they outlive an embedded
   * farm; returns the run's page. Links between them are rewritten to the saved files. The pages are read
   * over HTTP with {@code token} (a {@code read} role at least).
   */
  static Path saveReport(BridgeClient farm, NightlyReport run, Path dir, String token)
      throws IOException, InterruptedException {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String base = farm.info().artifactsUrl();
    Files.createDirectories(dir);
    Path page = dir.resolve(run.id() + ".html");
    String html = fetch(http, base + "/nightly/" + run.id(), token);
    for (ReproducibilityPair pair : run.pairs()) {
      Path pairPage = dir.resolve(pair.id() + ".html");
      Files.writeString(pairPage, fetch(http, base + "/verdicts/" + pair.id(), token));
      html = html.replace("\"/verdicts/" + pair.id() + "\"", "\"" + pairPage.getFileName() + "\"");
    }
    Files.writeString(page, html);
    return page.toAbsolutePath();
  }

  private static String fetch(java.net.http.HttpClient http, String url, String token)
      throws IOException, InterruptedException {
    java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(url)).header("Authorization", "Bearer " + token).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(url + " answered HTTP " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  /** Waits until {@code count} workers have sent their first heartbeat, so the run pairs them (at most 30 s). */
  static void awaitWorkers(BridgeClient farm, int count) throws InterruptedException {
    for (int i = 0; i < 60 && farm.workers().size() < count; i++) {
      Thread.sleep(500);
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
      (client.json ? System.err : System.out).println("build " + id + " is rebuilt from its record as " + pair.right()
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
    if (run.pairs().stream().anyMatch(pair -> pair.drift() != null)) {
      out.println("inputs since the previous night (drift, apart from the verdict):");
      for (ReproducibilityPair pair : run.pairs()) {
        if (pair.drift() != null) {
          out.println("  " + pair.repo() + " " + pair.target() + ": " + pair.drift().summary());
        }
      }
    }
    if (run.pairs().stream().anyMatch(pair -> pair.attestation() != null)) {
      out.println("signed reproducibility attestations (ADR 0044), each with its build for verify-provenance"
          + " --reproduced:");
      for (ReproducibilityPair pair : run.pairs()) {
        if (pair.attestation() != null) {
          out.println("  " + pair.repo() + " " + pair.target() + ": bootfarm fetch --pair " + pair.id());
        }
      }
    }
    out.println("report: " + reportUrl(farm, "/nightly/" + run.id()));
  }

  /** A pair's verdict: the outcome, both builds, the first differing stage and the files that differ. */
  static void printVerdict(ReproducibilityPair pair, BridgeClient farm, PrintStream out) {
    out.println((pair.outcome() == null ? "NOT JUDGED YET" : pair.outcome().name()) + "  " + pair.repo() + " "
        + pair.target() + "  left " + side(pair.left(), pair.leftWorker()) + "  right "
        + side(pair.right(), pair.rightWorker()));
    if (pair.hasUnsignedBuilds()) {
      out.println("UNSIGNED: installed without a signature check (allowed by --allow-unsigned): "
          + String.join("; ", pair.unsigned()));
    }
    if (pair.rebuiltFrom() != null) {
      out.println("right side rebuilt the left build's record: installed the lock of buildinfo " + pair.rebuiltFrom());
    }
    if (pair.drift() != null) {
      out.println("inputs since the previous night: " + pair.drift().summary());
    }
    if (pair.attestation() != null) {
      out.println("signed attestation: " + pair.attestation().name() + " " + pair.attestation().sha256() + " ("
          + reportUrl(farm, "/api/v1/artifacts/" + pair.attestation().sha256()) + "); with its build: bootfarm fetch"
          + " --pair " + pair.id());
    }
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
      for (String machine : verdict.machineDifferences()) {
        out.println("  machines differ: " + machine);
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
    String unsigned = pair.hasUnsignedBuilds() ? "UNSIGNED (" + String.join("; ", pair.unsigned()) + ") " : "";
    return unsigned + verdictDetail(pair);
  }

  private static String verdictDetail(ReproducibilityPair pair) {
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
    return cacheUse(pair);
  }

  /** Both sides' package-cache use, e.g. "packages cached 82/82 and 0/82"; empty when unknown. */
  private static String cacheUse(ReproducibilityPair pair) {
    if (pair.leftCache() == null || pair.rightCache() == null) {
      return "";
    }
    return "packages from cache " + pair.leftCache().fromCache() + "/" + (pair.leftCache().fromCache()
        + pair.leftCache().downloaded()) + " and " + pair.rightCache().fromCache() + "/"
        + (pair.rightCache().fromCache() + pair.rightCache().downloaded());
  }

  private static String reportUrl(BridgeClient farm, String path) {
    try {
      return farm.info().artifactsUrl() + path;
    } catch (RuntimeException e) {
      return path + " on the coordinator's HTTP API";
    }
  }
}
