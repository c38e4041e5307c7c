package org.bootfarm.worker.build;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TimeZone;
import java.util.TreeMap;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.worker.pkg.PinnedInputs;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * The build engine as a process of its own, for what only a process can have varied: its umask,
 * TZ, locale, hostname and CPU affinity ({@link VariedEngine} starts it). It reads one {@link Job}
 * as a JSON line on standard input, writes every {@link BuildLog} event as one {@link Output} JSON
 * line on standard output as it happens, and ends with an output line carrying the
 * {@link BuildResult}; standard error is free text (JVM warnings). Standard input stays open while
 * the build runs: when it closes (the worker died) the process exits.
 */
public final class EngineMain {
  /** The stage a line about the engine process itself is attributed to. */
  static final String STAGE = "build";
  /**
   * How long a SIGTERM waits for the interrupted build to end and clean up; shorter than the grace
   * {@link VariedEngine} gives the process before SIGKILL.
   */
  static final long STOP_WAIT_MILLIS = 8_000;

  private EngineMain() {}

  /**
   * A {@link BuildRequest} as JSON, with the package managers the engine may drive (empty: all).
   * Paths are absolute strings; null for an absent option.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Job(String definitionDir, String target, Map<String, String> components, String outDir,
      String cacheDir, String keysDir, boolean localRepos, String aptSources, Long sourceDateEpoch,
      boolean keepBuildDir, String buildsDir, List<String> packageManagers, List<String> allowUnsigned,
      String pinnedDir, List<LockedPackage> pinnedPackages) {

    public Job {
      components = new TreeMap<>(components);
      packageManagers = List.copyOf(packageManagers);
      allowUnsigned = allowUnsigned == null ? List.of() : allowUnsigned.stream().sorted().toList();
    }

    /** The job that runs {@code request} with the given package managers. */
    public static Job of(BuildRequest request, List<String> packageManagers) {
      Map<String, String> components = new TreeMap<>();
      request.components().forEach((name, file) -> components.put(name, absolute(file)));
      return new Job(absolute(request.definitionDir()), request.target(), components, absolute(request.outDir()),
          absolute(request.cacheDir()), absolute(request.keysDir()), request.localRepos(),
          request.aptSources().map(EngineMain::absolute).orElse(null),
          request.sourceDateEpoch().isPresent() ? request.sourceDateEpoch().getAsLong() : null,
          request.keepBuildDir(), absolute(request.buildsRoot()), packageManagers,
          List.copyOf(request.allowUnsigned()), request.pinned().map(p -> absolute(p.dir())).orElse(null),
          request.pinned().map(PinnedInputs::packages).orElse(null));
    }

    /** The request this job stands for. */
    public BuildRequest request() {
      Map<String, Path> files = new TreeMap<>();
      components.forEach((name, file) -> files.put(name, Path.of(file)));
      BuildRequest request = new BuildRequest(Path.of(definitionDir), target, files, Path.of(outDir), Path.of(cacheDir),
          Path.of(keysDir), localRepos, Optional.ofNullable(aptSources).map(Path::of),
          sourceDateEpoch == null ? OptionalLong.empty() : OptionalLong.of(sourceDateEpoch), keepBuildDir,
          buildsDir == null ? null : Path.of(buildsDir)).withAllowUnsigned(allowUnsigned);
      return pinnedDir == null ? request
          : request.pinnedTo(new PinnedInputs(Path.of(pinnedDir), pinnedPackages), sourceDateEpoch);
    }
  }

  /** One line of the engine process's standard output: an event of the build, or its result (the last line). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Output(BuildEvent event, BuildResult result) {}

  private static String absolute(Path path) {
    return path.toAbsolutePath().normalize().toString();
  }

  /** Reads the job from standard input, runs it, streams the events and the result to standard output. */
  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err); // nothing but output lines may reach the worker's reader
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line = in.readLine();
    Job job;
    try {
      job = WireJson.read(line, Job.class);
    } catch (WireJson.WireFormatException e) {
      System.err.println("bootfarm engine: the job on standard input is not valid: " + e.getMessage());
      System.exit(2);
      return;
    }
    Thread orphanWatch = new Thread(() -> {
      try {
        while (in.read() >= 0) {
          // the worker writes nothing more; EOF means it is gone
        }
      } catch (IOException ignored) {
        // treated as EOF
      }
      System.err.println("bootfarm engine: the worker closed standard input; stopping the build");
      Runtime.getRuntime().halt(3);
    }, "engine-orphan-watch");
    orphanWatch.setDaemon(true);
    orphanWatch.start();

    // SIGTERM (the worker stops a cancelled build): the build is interrupted, which stops its tools, and its
    // engine removes the build directory before the process ends
    Thread build = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      build.interrupt();
      try {
        build.join(STOP_WAIT_MILLIS);
      } catch (InterruptedException ignored) {
        // the JVM goes down anyway
      }
    }, "engine-stop"));

    BuildLog log = new StreamingLog(out);
    BuildRequest request = job.request();
    log.line(STAGE, "engine process: " + observedEnvironment(request));
    PackageDrivers standard = PackageDrivers.standard();
    PackageDrivers drivers = job.packageManagers().isEmpty() ? standard : standard.limitedTo(job.packageManagers());
    BuildResult result = new BuildEngine(drivers).run(request, log);
    synchronized (out) {
      out.println(WireJson.write(new Output(null, result)));
      out.flush();
    }
    Runtime.getRuntime().halt(0); // the orphan watch still reads standard input
  }

  /**
   * What this process actually runs under, as the kernel and the JVM report it, e.g.
   * {@code TZ=Pacific/Kiritimati LANG=C.UTF-8 umask=0077 hostname=bootfarm-rebuild cpus=1 builds in /x/y}.
   */
  static String observedEnvironment(BuildRequest request) {
    return "TZ=" + TimeZone.getDefault().getID() + " LANG=" + System.getenv("LANG")
        + " LC_ALL=" + System.getenv("LC_ALL") + " umask=" + procStatus("Umask")
        + " hostname=" + firstLine(Path.of("/proc/sys/kernel/hostname"))
        + " cpus=" + Runtime.getRuntime().availableProcessors()
        + " builds in " + request.buildsRoot().toAbsolutePath().normalize();
  }

  private static String procStatus(String field) {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith(field + ":")).map(l -> l.substring(field.length() + 1).strip())
          .findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String firstLine(Path file) {
    try {
      return Files.readAllLines(file).stream().findFirst().orElse("").strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Writes each event as an {@link Output} line; safe from several threads. */
  private static final class StreamingLog implements BuildLog {
    private final PrintStream out;

    StreamingLog(PrintStream out) {
      this.out = out;
    }

    private void emit(BuildEvent event) {
      String json = WireJson.write(new Output(event, null));
      synchronized (out) {
        out.println(json);
      }
    }

    @Override
    public void line(String stage, String text) {
      emit(BuildEvent.log(null, stage, text));
    }

    @Override
    public void progress(String stage, long done, long total) {
      emit(BuildEvent.progress(null, stage, done, total));
    }

    @Override
    public void stageStarted(String stage) {
      emit(BuildEvent.stageStarted(null, stage));
    }

    @Override
    public void stageFinished(String stage, String sha256, double seconds) {
      emit(BuildEvent.stageFinished(null, stage, sha256, seconds));
    }
  }
}
