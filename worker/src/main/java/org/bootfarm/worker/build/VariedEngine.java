package org.bootfarm.worker.build;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.process.ExternalCommand;

/**
 * Runs the build engine in a JVM of its own ({@link EngineMain}, with this worker's java and
 * classpath) under a {@link BuildVariation}, the way reproducible-builds.org's test bench varies its
 * second build: {@code unshare --uts} with the hostname set inside, the umask set by the shell before
 * it execs, {@code taskset -c} for the CPU count, TZ, LANG and LC_ALL in the environment. Its events
 * are relayed to the caller's {@link BuildLog} as they come, and its result is returned.
 *
 * <p>A variation this worker cannot apply is refused with a {@link BuildFailure.Kind#TOOL} failure
 * naming what is missing, never built without it: a reproducibility pair whose second side silently
 * ran unvaried would prove less than it claims.
 */
public final class VariedEngine {
  /** util-linux: the UTS namespace a varied hostname is set in (needs root). */
  public static final String UNSHARE = "unshare";
  /** util-linux: the CPU affinity that limits the CPU count. */
  public static final String TASKSET = "taskset";
  /** How many stderr lines of the engine process a failure quotes. */
  static final int STDERR_LINES = 20;
  /** How long the relays may go on reading after the engine process exited. */
  static final long STREAM_DRAIN_MILLIS = 30_000;

  private VariedEngine() {}

  /**
   * Checks that this worker can apply every field of {@code variation}.
   *
   * @throws BuildFailure {@code TOOL}, naming the missing program, privilege, locale, zone or CPUs
   */
  public static void checkApplicable(BuildVariation variation) throws BuildFailure {
    List<String> problems = new ArrayList<>();
    if (variation.hostname() != null) {
      if (!ExternalCommand.installed(UNSHARE)) {
        problems.add("hostname " + variation.hostname() + " needs '" + UNSHARE
            + "', which is not installed: install the Debian package util-linux");
      }
      if (!ExternalCommand.runningAsRoot()) {
        problems.add("hostname " + variation.hostname() + " needs '" + UNSHARE
            + " --uts', which needs root: run the worker as root");
      }
    }
    if (variation.cpus() != null) {
      if (!ExternalCommand.installed(TASKSET)) {
        problems.add("cpus " + variation.cpus() + " needs '" + TASKSET
            + "', which is not installed: install the Debian package util-linux");
      }
      List<Integer> allowed = allowedCpus();
      if (variation.cpus() > allowed.size()) {
        problems.add("cpus " + variation.cpus() + " is more than the " + allowed.size()
            + " CPUs this worker may run on " + allowed);
      }
    }
    if (variation.timeZone() != null && !variation.timeZone().equals("UTC")
        && !Files.isRegularFile(Path.of("/usr/share/zoneinfo", variation.timeZone()))) {
      problems.add("time zone " + variation.timeZone() + " is not in /usr/share/zoneinfo: install the Debian"
          + " package tzdata");
    }
    if (variation.locale() != null && !isInstalledLocale(variation.locale())) {
      problems.add("locale " + variation.locale() + " is not installed (see 'locale -a'): generate it with"
          + " locale-gen, or send a variation with an installed locale such as C.UTF-8");
    }
    if (!problems.isEmpty()) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "this worker cannot build under the variation "
          + variation.describe() + ": " + String.join("; ", problems));
    }
  }

  /**
   * Runs {@code request} in an engine process under {@code variation}; events go to {@code log} as
   * they come. The build's own failures are in the result, as {@link BuildEngine#run} gives them.
   *
   * @param packageManagers the package managers the engine may drive (empty: all it can)
   * @throws BuildFailure {@code TOOL} when the variation cannot be applied here (see {@link #checkApplicable})
   * @throws InterruptedException when the calling thread is interrupted: the engine process is killed
   */
  public static BuildResult run(BuildRequest request, List<String> packageManagers, BuildVariation variation,
      BuildLog log) throws BuildFailure, InterruptedException {
    checkApplicable(variation);
    ProcessBuilder builder = new ProcessBuilder(command(variation));
    Map<String, String> env = builder.environment();
    if (variation.timeZone() != null) {
      env.put("TZ", variation.timeZone());
    }
    if (variation.locale() != null) {
      env.put("LANG", variation.locale());
      env.put("LC_ALL", variation.locale());
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot start the engine process " + builder.command()
          + ": " + e.getMessage(), e);
    }
    AtomicReference<BuildResult> result = new AtomicReference<>();
    Deque<String> stderr = new ArrayDeque<>();
    Thread events = new Thread(() -> relayEvents(process, log, result), "engine-events");
    Thread errors = new Thread(() -> relayStderr(process, log, stderr), "engine-stderr");
    events.setDaemon(true);
    errors.setDaemon(true);
    events.start();
    errors.start();
    try {
      OutputStream stdin = process.getOutputStream();
      stdin.write((WireJson.write(EngineMain.Job.of(request, packageManagers)) + "\n")
          .getBytes(StandardCharsets.UTF_8));
      stdin.flush(); // left open: the engine stops when it closes
      int exit = process.waitFor();
      // a descendant that kept the engine's stdout or stderr open must not hold the slot forever
      events.join(STREAM_DRAIN_MILLIS);
      errors.join(STREAM_DRAIN_MILLIS);
      stdin.close();
      if (result.get() != null) {
        return result.get();
      }
      String tail;
      synchronized (stderr) {
        tail = stderr.isEmpty() ? "(nothing on stderr)" : String.join("\n", stderr);
      }
      String error = "the engine process exited " + exit + " without a result: " + tail;
      log.line(EngineMain.STAGE, "FAILED: " + error);
      return new BuildResult(BuildResult.FAILED, error, BuildFailure.Kind.INTERNAL.name(), List.of(), List.of());
    } catch (IOException e) {
      kill(process);
      String error = "lost the engine process: " + e.getMessage();
      log.line(EngineMain.STAGE, "FAILED: " + error);
      return new BuildResult(BuildResult.FAILED, error, BuildFailure.Kind.INTERNAL.name(), List.of(), List.of());
    } catch (InterruptedException e) {
      kill(process);
      throw e;
    }
  }

  /**
   * The command: {@code [unshare --uts] /bin/sh -c '[hostname] [umask] exec [taskset -c CPUS] "$@"' sh
   * JAVA -cp CLASSPATH EngineMain}. The variation's values were validated by {@link BuildVariation}, so
   * they are safe inside the shell text.
   */
  static List<String> command(BuildVariation variation) {
    List<String> command = new ArrayList<>();
    if (variation.hostname() != null) {
      command.addAll(List.of(UNSHARE, "--uts"));
    }
    StringBuilder script = new StringBuilder();
    if (variation.hostname() != null) {
      script.append("printf %s ").append(variation.hostname()).append(" > /proc/sys/kernel/hostname && ");
    }
    if (variation.umask() != null) {
      script.append("umask ").append(variation.umask()).append(" && ");
    }
    script.append("exec ");
    if (variation.cpus() != null) {
      List<Integer> cpus = allowedCpus().subList(0, variation.cpus());
      script.append(TASKSET).append(" -c ")
          .append(String.join(",", cpus.stream().map(String::valueOf).toList())).append(' ');
    }
    script.append("\"$@\"");
    command.addAll(List.of("/bin/sh", "-c", script.toString(), "sh",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), EngineMain.class.getName()));
    return command;
  }

  private static void relayEvents(Process process, BuildLog log, AtomicReference<BuildResult> result) {
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        EngineMain.Output output;
        try {
          output = WireJson.read(line, EngineMain.Output.class);
        } catch (WireJson.WireFormatException e) {
          log.line(EngineMain.STAGE, "engine: " + line);
          continue;
        }
        if (output.result() != null) {
          result.set(output.result());
        } else if (output.event() != null) {
          relay(output.event(), log);
        }
      }
    } catch (IOException e) {
      // the process is gone; its exit code tells the rest
    }
  }

  private static void relay(org.bootfarm.protocol.api.v1.BuildEvent event, BuildLog log) {
    switch (event.type()) {
      case STAGE_STARTED -> log.stageStarted(event.stage());
      case STAGE_FINISHED -> log.stageFinished(event.stage(), event.sha256(),
          event.seconds() == null ? 0 : event.seconds());
      case PROGRESS -> log.progress(event.stage(), event.done() == null ? 0 : event.done(),
          event.total() == null ? 0 : event.total());
      default -> log.line(event.stage(), event.text());
    }
  }

  private static void relayStderr(Process process, BuildLog log, Deque<String> tail) {
    try (BufferedReader err = new BufferedReader(
        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = err.readLine()) != null; ) {
        log.line(EngineMain.STAGE, "engine stderr: " + line);
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > STDERR_LINES) {
            tail.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  /**
   * Stops the engine process and its whole tree: SIGTERM, then SIGKILL after {@link #STOP_GRACE}, time for
   * the engine to remove its build directory ({@link EngineMain} interrupts its build on SIGTERM).
   */
  private static void kill(Process process) {
    ExternalCommand.stop(process, STOP_GRACE);
  }

  static final Duration STOP_GRACE = Duration.ofMillis(EngineMain.STOP_WAIT_MILLIS + 2_000);

  /** The CPUs this process may run on, from {@code Cpus_allowed_list} in /proc/self/status (e.g. {@code 0-3,6}). */
  static List<Integer> allowedCpus() {
    try {
      String list = Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith("Cpus_allowed_list:")).map(l -> l.substring("Cpus_allowed_list:".length()).strip())
          .findFirst().orElse("");
      return parseCpuList(list);
    } catch (IOException | RuntimeException e) {
      List<Integer> all = new ArrayList<>();
      for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
        all.add(i);
      }
      return all;
    }
  }

  /** A kernel CPU list ({@code 0-3,6,8-9}) as CPU numbers in order. */
  static List<Integer> parseCpuList(String list) {
    List<Integer> cpus = new ArrayList<>();
    for (String part : list.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      String[] range = part.strip().split("-");
      int from = Integer.parseInt(range[0]);
      int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
      for (int cpu = from; cpu <= to; cpu++) {
        cpus.add(cpu);
      }
    }
    return cpus;
  }

  /** Whether {@code locale -a} lists the locale (it writes {@code C.utf8} for {@code C.UTF-8}). */
  static boolean isInstalledLocale(String locale) {
    if (locale.equals("C") || locale.equals("POSIX")) {
      return true;
    }
    List<String> installed;
    try {
      installed = ExternalCommand.output(List.of("locale", "-a"), Map.of());
    } catch (IOException e) {
      return false;
    }
    String wanted = normalisedLocale(locale);
    return installed.stream().map(VariedEngine::normalisedLocale).anyMatch(wanted::equals);
  }

  /** glibc's normalisation of a locale name: the codeset lower-cased without '-' ({@code de_DE.utf8}). */
  static String normalisedLocale(String locale) {
    int dot = locale.indexOf('.');
    if (dot < 0) {
      return locale.strip();
    }
    int at = locale.indexOf('@', dot);
    String codeset = at < 0 ? locale.substring(dot + 1) : locale.substring(dot + 1, at);
    String modifier = at < 0 ? "" : locale.substring(at);
    return locale.substring(0, dot) + "." + codeset.toLowerCase(Locale.ROOT).replace("-", "") + modifier;
  }
}
