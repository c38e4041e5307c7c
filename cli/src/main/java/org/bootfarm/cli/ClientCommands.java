package org.bootfarm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bootfarm.client.ApiErrorException;
import org.bootfarm.client.BridgeClient;
import org.bootfarm.coordinator.provenance.ReproducibilityAttestation;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.build.ArtifactRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code bootfarm} commands that are clients of a running farm, over its TCP bridge: submit,
 * status, list, logs, fetch, cancel, repos, workers. Every one has {@code --json}; an error is one
 * line on stderr. Exit codes: 0 done, 1 the build did not succeed, 2 the farm refused the request
 * (unknown repo, build or component; a build that cannot be cancelled), 3 the farm could not be
 * reached or refused the token.
 */
final class ClientCommands {
  private ClientCommands() {}

  static final int BUILD_FAILED = 1;
  static final int REFUSED = 2;
  static final int UNREACHABLE = 3;

  /** One client command: connects, runs, and turns every failure into one line and an exit code. */
  abstract static class ClientCommand implements Callable<Integer> {
    @Mixin ClientOptions client;

    abstract int run(BridgeClient farm) throws Exception;

    /** Runs before the command connects; what it returns is closed after the command (a farm it started). */
    AutoCloseable prepare() throws Exception {
      return () -> { };
    }

    @Override
    public final Integer call() {
      try (AutoCloseable prepared = prepare(); BridgeClient farm = client.connect()) {
        return run(farm);
      } catch (ApiErrorException e) {
        ApiError error = e.error();
        System.err.println("bootfarm " + name() + ": " + error.message()
            + (error.problems().isEmpty() ? "" : "\n  " + String.join("\n  ", error.problems())));
        return switch (error.code()) {
          case BAD_REQUEST, NOT_FOUND, CONFLICT, TOO_LARGE -> REFUSED;
          default -> UNREACHABLE;
        };
      } catch (ClientOptions.ClientConfigException e) {
        System.err.println("bootfarm " + name() + ": " + e.getMessage());
        return REFUSED;
      } catch (IOException e) {
        System.err.println("bootfarm " + name() + ": " + e.getMessage());
        return UNREACHABLE;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return UNREACHABLE;
      } catch (Exception e) {
        System.err.println("bootfarm " + name() + ": " + e);
        return UNREACHABLE;
      }
    }

    private String name() {
      return getClass().getAnnotation(Command.class).name();
    }

    void printJson(Object value) {
      System.out.println(WireJson.write(value));
    }

    /** Prints {@code value} as JSON with --json, else the line {@code text} makes; the exit code of a success. */
    int answer(Object value, java.util.function.Supplier<String> text) {
      if (client.json) {
        printJson(value);
      } else {
        System.out.println(text.get());
      }
      return 0;
    }
  }

  @Command(name = "submit", mixinStandardHelpOptions = true,
      description = "Submit a build to the farm; with --wait, follow it to its end.")
  static final class Submit extends ClientCommand {
    @Parameters(index = "0", paramLabel = "REPO", description = "a repo definition of the farm (see: bootfarm repos)")
    String repo;

    @Option(names = "--target", defaultValue = "bootstrap", description = "what to build (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--component", paramLabel = "NAME=FILE",
        description = "a component file, uploaded unless the farm has it: tether=FILE and unpack=FILE for a bootstrap")
    Map<String, Path> components = new LinkedHashMap<>();

    @Option(names = "--priority", defaultValue = "INTERACTIVE",
        description = "INTERACTIVE or NIGHTLY (default: ${DEFAULT-VALUE}); interactive builds go first")
    Priority priority;

    @Option(names = "--no-cache", description = "run every stage: the worker takes nothing from its action cache or"
        + " stage cache (default: an unchanged build is served from the worker's action cache)")
    boolean noCache;

    @Option(names = "--wait", description = "follow the build live and exit 0 only when it succeeded")
    boolean await;

    @Option(names = "--patience", defaultValue = "6h", converter = DurationConverter.class,
        description = "with --wait, how long to follow the build at most (default: ${DEFAULT-VALUE})")
    Duration patience;

    @Override
    int run(BridgeClient farm) throws Exception {
      PrintStream notes = client.json ? System.err : System.out;
      Map<String, String> hashes = new LinkedHashMap<>();
      for (Map.Entry<String, Path> component : components.entrySet()) {
        if (!Files.isRegularFile(component.getValue())) {
          throw new ApiErrorException(new ApiError(ApiError.Code.BAD_REQUEST, "component " + component.getKey()
              + ": " + component.getValue() + " is not a readable file", List.of()));
        }
        hashes.put(component.getKey(), farm.upload(component.getValue()));
        System.err.println("component " + component.getKey() + " " + hashes.get(component.getKey()));
      }
      String id = farm.submit(new SubmitRequest(repo, target, hashes, priority,
          noCache ? Map.of("noCache", true) : Map.of()));
      if (!await) {
        return answer(Map.of("id", id), () -> id);
      }
      notes.println("build " + id + " submitted; following it (Ctrl-C stops following, not the build)");
      BuildView build = follow(farm, id, patience, notes, client.json);
      return report(build, notes);
    }

    private int report(BuildView build, PrintStream notes) {
      if (client.json) {
        printJson(build);
      } else {
        printBuild(build, notes);
      }
      return build.state() == BuildState.SUCCEEDED ? 0 : BUILD_FAILED;
    }
  }

  /** Follows a build to its end, showing its events as {@code bootfarm build} shows a local build. */
  static BuildView follow(BridgeClient farm, String id, Duration patience, PrintStream out, boolean quiet) {
    BuildProgress progress = new BuildProgress(out, System.console() != null && !quiet);
    BuildView build = farm.await(id, event -> show(progress, event), patience);
    progress.finish();
    return build;
  }

  private static void show(BuildProgress progress, BuildEvent event) {
    switch (event.type()) {
      case STAGE_STARTED -> progress.stageStarted(event.stage());
      case STAGE_FINISHED -> progress.stageFinished(event.stage(), event.sha256(),
          event.seconds() == null ? 0 : event.seconds());
      case PROGRESS -> progress.progress(event.stage(), event.done() == null ? 0 : event.done(),
          event.total() == null ? 0 : event.total());
      case LOG -> progress.line(event.stage(), event.text());
      case STATE -> progress.line("build", event.state() + (event.text() == null ? "" : ": " + event.text()));
    }
  }

  static void printBuild(BuildView build, PrintStream out) {
    out.println("build     " + build.id() + "  " + build.repo() + " " + build.target() + "  " + build.state()
        + (build.pinned() ? "  pinned" : ""));
    if (build.worker() != null) {
      out.println("worker    " + build.worker() + (build.attempts() > 0 ? "  (" + build.attempts()
          + " earlier attempts)" : ""));
    }
    if (build.placement() != null) {
      out.println("placement " + build.placement());
    }
    if (build.rebuildOf() != null) {
      out.println("rebuildOf " + build.rebuildOf() + "  (from its record: archived packages, no upstream read)");
    }
    if (build.packageCache() != null && build.packageCache().cachedFrom() != null) {
      out.println("cached    served from the worker's action cache: the outputs of " + build.packageCache().cachedFrom()
          + " (same inputs and package set; nothing ran)");
    }
    if (!build.unsigned().isEmpty()) {
      out.println("UNSIGNED  installed without a signature check (allowed by --allow-unsigned): "
          + String.join("; ", build.unsigned()));
    }
    out.println("submitted " + build.submittedAt() + (build.submittedWith() == null ? ""
        : "  by " + Caller.describe(build.submittedWith() + ":" + build.submittedBy()))
        + (build.startedAt() == null ? "" : "  started "
        + build.startedAt()) + (build.finishedAt() == null ? "" : "  finished " + build.finishedAt()));
    for (ArtifactRecord artifact : build.artifacts()) {
      out.printf("artifact  %s  %s  %d bytes%n", artifact.sha256(), artifact.name(), artifact.size());
    }
    if (build.log() != null) {
      out.println("log       " + build.log());
    }
    if (build.error() != null) {
      out.println("error     " + (build.errorKind() == null ? "" : build.errorKind() + ": ") + build.error());
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show one build of the farm.")
  static final class Status extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    int run(BridgeClient farm) {
      BuildView build = farm.get(id);
      if (client.json) {
        printJson(build);
      } else {
        printBuild(build, System.out);
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the farm's builds, newest first.")
  static final class ListBuilds extends ClientCommand {
    @Option(names = "--repo", description = "only this repo's builds")
    String repo;

    @Option(names = "--state", description = "only builds in this state: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED")
    BuildState state;

    @Option(names = "--limit", defaultValue = "50", description = "at most this many (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    int run(BridgeClient farm) {
      List<BuildView> builds = farm.list(new BuildQuery(repo, state, limit));
      if (client.json) {
        printJson(Map.of("builds", builds));
        return 0;
      }
      for (BuildView build : builds) {
        System.out.printf("%-28s %-12s %-10s %-10s %-24s %s%n", build.id(), build.repo(), build.target(),
            build.state(), build.worker() == null ? "-" : build.worker(),
            build.error() != null ? build.error() : build.placement() == null ? "" : build.placement());
      }
      return 0;
    }
  }

  @Command(name = "logs", mixinStandardHelpOptions = true,
      description = "Print a finished build's whole log; with -f, follow a running build's lines live.")
  static final class Logs extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = {"-f", "--follow"}, description = "follow the build's log lines while it runs")
    boolean follow;

    @Override
    int run(BridgeClient farm) throws Exception {
      BuildView build = farm.get(id);
      if (!build.state().isFinal()) {
        if (!follow) {
          throw new ApiErrorException(new ApiError(ApiError.Code.CONFLICT, "build " + id + " is " + build.state()
              + ": its log is stored when it ends; follow it live with: bootfarm logs -f " + id, List.of()));
        }
        AtomicBoolean sawTheEnd = new AtomicBoolean();
        build = farm.await(id, event -> {
          if (event.type() == BuildEvent.Type.LOG) {
            System.out.println(client.json ? WireJson.write(event) : "[" + event.stage() + "] " + event.text());
          } else if (event.type() == BuildEvent.Type.STATE) {
            sawTheEnd.compareAndSet(false, event.state().isFinal());
            System.out.println(client.json ? WireJson.write(event) : "[build] " + event.state()
                + (event.text() == null ? "" : ": " + event.text()));
          }
        }, Duration.ofDays(1));
        if (!sawTheEnd.get()) {
          // it ended between the first look and the subscription: no event came, so show what was stored
          printStoredLog(farm, build, follow);
        }
        return build.state() == BuildState.SUCCEEDED ? 0 : BUILD_FAILED;
      }
      printStoredLog(farm, build, follow);
      return 0;
    }

    /** The stored log; when following, then the final state line a live follow ends with. */
    private void printStoredLog(BridgeClient farm, BuildView build, boolean withState) throws Exception {
      printStoredLog(farm, build);
      if (withState && !client.json) {
        System.out.println("[build] " + build.state());
      }
    }

    private static void printStoredLog(BridgeClient farm, BuildView build) throws Exception {
      String id = build.id();
      if (build.log() == null) {
        throw new ApiErrorException(new ApiError(ApiError.Code.NOT_FOUND, "build " + id + " is " + build.state()
            + " and has no stored log (it never ran on a worker, or its log was collected)", List.of()));
      }
      Path file = Files.createTempFile("bootfarm-log-", ".txt");
      try {
        farm.download(build.log(), file);
        Files.copy(file, System.out);
        System.out.flush();
      } finally {
        Files.deleteIfExists(file);
      }
    }
  }

  @Command(name = "fetch", mixinStandardHelpOptions = true,
      description = "Download a successful build's artifacts and log (with --inputs: its record and every input),"
          + " checking every sha256.")
  static final class Fetch extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", arity = "0..1", description = "the build")
    String id;

    @Option(names = "--pair", paramLabel = "PAIR", description = "instead of ID: a REPRODUCIBLE pair's first build,"
        + " and the pair's signed attestation as " + ReproducibilityAttestation.FILE_NAME + " (what"
        + " verify-provenance --reproduced reads beside the provenance)")
    String pair;

    @Option(names = "--out", defaultValue = "out", paramLabel = "DIR", description = "where they go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--inputs", description = "instead: the build's record and every input (buildinfo.json,"
        + " definition/, components/, packages/, keys/), the layout bootfarm build --from-buildinfo reads")
    boolean inputs;

    @Override
    int run(BridgeClient farm) throws Exception {
      if ((id == null) == (pair == null)) {
        throw new ApiErrorException(new ApiError(ApiError.Code.BAD_REQUEST, "name a build ID or --pair PAIR (one of"
            + " the two): bootfarm fetch ID, or bootfarm fetch --pair PAIR", List.of()));
      }
      ArtifactRecord attestation = null;
      if (pair != null) {
        ReproducibilityPair judged = farm.pair(pair);
        if (judged.attestation() == null) {
          throw new ApiErrorException(new ApiError(ApiError.Code.CONFLICT, "pair " + pair + " is "
              + (judged.outcome() == null ? "not judged yet" : judged.outcome().name()) + ": only a REPRODUCIBLE"
              + " pair has a signed attestation; fetch one of its builds with: bootfarm fetch " + judged.left(),
              List.of()));
        }
        id = judged.left();
        attestation = new ArtifactRecord(ReproducibilityAttestation.FILE_NAME, judged.attestation().sha256(),
            judged.attestation().size());
      }
      BuildView build = farm.get(id);
      if (build.state() != BuildState.SUCCEEDED) {
        throw new ApiErrorException(new ApiError(ApiError.Code.CONFLICT, "build " + id + " is " + build.state()
            + (build.error() == null ? "" : " (" + build.error() + ")") + ": only a SUCCEEDED build has artifacts"
            + " to fetch" + (build.state().isFinal() ? "" : "; wait for it with: bootfarm submit --wait, or logs -f"),
            List.of()));
      }
      if (inputs) {
        Map<String, Object> written = RecordCommands.fetchInputs(farm, build, out, client.json);
        if (client.json) {
          printJson(Map.of("id", id, "inputs", written));
        }
        return 0;
      }
      Files.createDirectories(out);
      List<Map<String, Object>> fetched = new java.util.ArrayList<>();
      List<ArtifactRecord> artifacts = new java.util.ArrayList<>(build.artifacts());
      if (attestation != null) {
        artifacts.add(attestation);
      }
      for (ArtifactRecord artifact : artifacts) {
        Path file = out.resolve(Path.of(artifact.name()).getFileName());
        farm.download(artifact.sha256(), file);
        fetched.add(Map.of("name", artifact.name(), "sha256", artifact.sha256(), "path", file.toString()));
        if (!client.json) {
          System.out.println(artifact.sha256() + "  " + file);
        }
      }
      if (build.log() != null) {
        Path file = out.resolve("build.log");
        farm.download(build.log(), file);
        fetched.add(Map.of("name", "build.log", "sha256", build.log(), "path", file.toString()));
        if (!client.json) {
          System.out.println(build.log() + "  " + file);
        }
      }
      if (client.json) {
        printJson(Map.of("id", id, "artifacts", fetched));
      }
      return 0;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a queued or running build.")
  static final class Cancel extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    int run(BridgeClient farm) {
      BuildView build = farm.cancel(id);
      return answer(build, () -> build.id() + " " + build.state());
    }
  }

  @Command(name = "repos", mixinStandardHelpOptions = true, description = "List the repo definitions the farm builds.")
  static final class Repos extends ClientCommand {
    @Override
    int run(BridgeClient farm) {
      List<RepoInfo> repos = farm.repos();
      if (client.json) {
        printJson(Map.of("repos", repos));
        return 0;
      }
      for (RepoInfo repo : repos) {
        // the digest builds submitted now are pinned to, short (--json gives it whole)
        System.out.printf("%-16s %-6s %-12s %s%s%n", repo.name(), repo.packageManager() == null ? "-"
            : repo.packageManager(), repo.digest() == null ? "-" : repo.digest().substring(0, 12),
            String.join(",", repo.targets()), (repo.problems().isEmpty() ? "" : "  INVALID: "
            + String.join("; ", repo.problems())) + (repo.unsigned().isEmpty() ? "" : "  UNSIGNED (allowed): "
            + String.join("; ", repo.unsigned())));
      }
      return 0;
    }
  }

  @Command(name = "workers", mixinStandardHelpOptions = true, description = "List the farm's live workers.")
  static final class Workers extends ClientCommand {
    @Override
    int run(BridgeClient farm) {
      List<WorkerInfo> workers = farm.workers();
      if (client.json) {
        printJson(Map.of("workers", workers));
        return 0;
      }
      for (WorkerInfo worker : workers) {
        System.out.printf("%-28s %-8s %d/%d slots busy  runs %s  warm: %s%n", worker.id(), worker.arch(),
            worker.busySlots(), worker.slots(), String.join(",", worker.packageManagers()),
            worker.warmCaches().stream().map(WorkerInfo.WarmCache::repo).toList());
      }
      return 0;
    }
  }
}
