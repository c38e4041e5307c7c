package org.bootfarm.worker.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;

/**
 * Runs one external tool of a build (dnf, mmdebstrap, depmod, xorriso, ...) in the environment
 * every build gets whatever the host has: {@code LC_ALL=C}, {@code TZ=UTC}, umask 022, a fixed
 * PATH and the build's {@code SOURCE_DATE_EPOCH}. Output lines stream to the build log as they
 * come; the last lines are kept for the error message when the tool fails.
 */
public final class ToolProcess {
  private static final int TAIL_LINES = 25;
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final List<String> command;
  private final Map<String, String> environment = new LinkedHashMap<>();
  private Path directory;
  private Duration timeout = Duration.ofHours(1);

  private ToolProcess(List<String> command) {
    this.command = List.copyOf(command);
    environment.put("PATH", PATH);
    environment.put("LC_ALL", "C");
    environment.put("LANG", "C");
    environment.put("TZ", "UTC");
    String home = System.getenv("HOME");
    environment.put("HOME", home == null ? "/root" : home);
  }

  /** A tool invocation; the first element is the program. */
  public static ToolProcess of(List<String> command) {
    return new ToolProcess(command);
  }

  public static ToolProcess of(String... command) {
    return new ToolProcess(List.of(command));
  }

  /** Sets (or, with a null value, removes) one environment variable. */
  public ToolProcess env(String name, String value) {
    if (value == null) {
      environment.remove(name);
    } else {
      environment.put(name, value);
    }
    return this;
  }

  public ToolProcess sourceDateEpoch(long epoch) {
    return env("SOURCE_DATE_EPOCH", Long.toString(epoch));
  }

  public ToolProcess directory(Path dir) {
    this.directory = dir;
    return this;
  }

  public ToolProcess timeout(Duration limit) {
    this.timeout = limit;
    return this;
  }

  /** What a finished tool said: its exit code and every line it printed (stdout and stderr merged). */
  public record Result(int exitCode, List<String> lines) {
    /** The last lines, for error messages. */
    public String tail() {
      int from = Math.max(0, lines.size() - TAIL_LINES);
      return String.join("\n", lines.subList(from, lines.size()));
    }

    public String output() {
      return String.join("\n", lines);
    }
  }

  /**
   * Runs the tool to completion, streaming its lines to {@code log} under {@code stage}.
   * A missing program or a time-out is a {@link BuildFailure.Kind#TOOL} failure; a non-zero exit
   * is returned to the caller, which knows what it means.
   */
  public Result run(BuildLog log, String stage) throws BuildFailure {
    List<String> wrapped = new ArrayList<>();
    // the umask is set by a shell in front of the tool: Java cannot set a child's umask itself
    wrapped.add("/bin/sh");
    wrapped.add("-c");
    wrapped.add("umask 022 && exec \"$0\" \"$@\"");
    wrapped.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(wrapped).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // the tool gets no input either way
    }
    List<String> lines = new ArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          synchronized (lines) {
            lines.add(line);
          }
          log.line(stage, line);
        }
      } catch (IOException ignored) {
        // the process went away; what it printed so far is kept
      }
    }, "tool-output-" + command.get(0));
    reader.setDaemon(true);
    reader.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new BuildFailure(BuildFailure.Kind.TOOL,
            command.get(0) + " did not finish within " + timeout.toSeconds() + " s and was killed");
      }
      reader.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new BuildFailure(BuildFailure.Kind.INTERNAL, command.get(0) + " was interrupted", e);
    }
    if (process.exitValue() == 127 && lines.stream().anyMatch(l -> l.contains("not found"))) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, command.get(0) + " is not installed on this worker");
    }
    synchronized (lines) {
      return new Result(process.exitValue(), List.copyOf(lines));
    }
  }

  /** Runs the tool and fails the build with its last lines unless it exits 0. */
  public Result runChecked(BuildLog log, String stage) throws BuildFailure {
    Result result = run(log, stage);
    if (result.exitCode() != 0) {
      throw new BuildFailure(BuildFailure.Kind.TOOL,
          command.get(0) + " exited " + result.exitCode() + ":\n" + result.tail());
    }
    return result;
  }

  /** The first line a tool prints for {@code --version}, for the buildinfo; "unknown" if it cannot run. */
  public static String version(String... versionCommand) {
    try {
      Result result = of(versionCommand).timeout(Duration.ofSeconds(30)).run(BuildLog.DISCARD, "version");
      for (String line : result.lines()) {
        if (!line.isBlank()) {
          return line.trim();
        }
      }
    } catch (BuildFailure e) {
      // reported as unknown below
    }
    return "unknown";
  }
}
