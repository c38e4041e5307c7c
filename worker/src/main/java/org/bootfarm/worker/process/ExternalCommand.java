package org.bootfarm.worker.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one way a build runs an external tool (dnf, rpm, mmdebstrap, apt, depmod, xorriso, tar):
 * in the environment every build gets whatever the host has — a cleared environment with a fixed
 * PATH, {@code LC_ALL=C}, {@code TZ=UTC}, umask 022, no standard input, proxies passed through —
 * plus what the caller adds. Output lines stream to a consumer as they come; the last ones are
 * kept for error messages.
 */
public final class ExternalCommand {

  /** How many trailing output lines a {@link Result} keeps. */
  public static final int TAIL_LINES = 400;

  static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final List<String> PASSED_THROUGH = List.of(
      "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY");

  /** The outcome of one run: the exit code and the last {@link #TAIL_LINES} output lines. */
  public record Result(List<String> command, int exitCode, List<String> tail) {
    public boolean succeeded() {
      return exitCode == 0;
    }

    /** The last {@code n} lines joined with newlines, for an error message. */
    public String lastLines(int n) {
      return String.join("\n", tail.subList(Math.max(0, tail.size() - n), tail.size()));
    }
  }

  private ExternalCommand() {}

  /**
   * Runs {@code command} in {@code directory} (null: the current one) with the build environment
   * changed by {@code environment} (a null value removes a variable), handing every line of
   * standard output and error, merged, to {@code lines}.
   *
   * @throws IOException when the tool cannot be started or the wait is interrupted
   */
  public static Result run(List<String> command, Map<String, String> environment, Path directory,
      Consumer<String> lines) throws IOException {
    ProcessBuilder builder = builder(command, environment).redirectErrorStream(true);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    Process process = builder.start();
    Deque<String> tail = new ArrayDeque<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lines.accept(line);
        tail.addLast(line);
        if (tail.size() > TAIL_LINES) {
          tail.removeFirst();
        }
      }
      return new Result(List.copyOf(command), process.waitFor(), new ArrayList<>(tail));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
  }

  /**
   * Runs a command that must succeed and returns its standard output lines; standard error is
   * kept apart (so a warning cannot pollute a query's output) and goes into the exception.
   *
   * @throws IOException when the tool cannot be started or exits non-zero; the message names it
   */
  public static List<String> output(List<String> command, Map<String, String> environment) throws IOException {
    Path errors = Files.createTempFile("bootfarm-stderr", ".txt");
    try {
      Process process = builder(command, environment).redirectError(errors.toFile()).start();
      List<String> out = new ArrayList<>();
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          out.add(line);
        }
        int exit = process.waitFor();
        if (exit != 0) {
          throw new IOException(String.join(" ", command) + " exited with " + exit + ":\n"
              + Files.readString(errors, StandardCharsets.UTF_8).strip());
        }
        return out;
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + command.get(0), e);
      }
    } finally {
      Files.deleteIfExists(errors);
    }
  }

  /**
   * Runs a command that must succeed, for callers that only need it done. The exception says what
   * was being done, quotes the tool's last lines, and names the Debian package when the tool is
   * not installed.
   */
  public static void require(List<String> command, Map<String, String> environment, String what,
      String debianPackage) throws IOException {
    if (!installed(command.get(0))) {
      throw new IOException("cannot run " + command.get(0) + " (" + what + "): it is not installed; "
          + "install the Debian package '" + debianPackage + "'");
    }
    Result result = run(command, environment, null, line -> {});
    if (!result.succeeded()) {
      throw new IOException(what + " failed: " + String.join(" ", command) + " exited " + result.exitCode()
          + ":\n" + result.lastLines(40));
    }
  }

  /** The first non-blank line a tool prints (e.g. for {@code --version}), or "unknown". */
  public static String firstLine(List<String> command) {
    try {
      Result result = run(command, Map.of(), null, line -> {});
      return result.tail().stream().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The executable named {@code tool} on the build PATH (or an absolute path), if there is one. */
  public static Optional<Path> onPath(String tool) {
    if (tool.contains("/")) {
      return Files.isExecutable(Path.of(tool)) ? Optional.of(Path.of(tool)) : Optional.empty();
    }
    for (String dir : PATH.split(":")) {
      Path candidate = Path.of(dir, tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  public static boolean installed(String tool) {
    return onPath(tool).isPresent();
  }

  /** Whether this process (and so every tool it starts) runs as root, as chroot, mknod and mmdebstrap need. */
  public static boolean runningAsRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** The environment every tool starts from, before the caller's additions. */
  static Map<String, String> buildEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : PASSED_THROUGH) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    env.put("PATH", PATH);
    String home = System.getenv("HOME");
    env.put("HOME", home == null ? "/root" : home);
    env.put("LC_ALL", "C");
    env.put("LANG", "C");
    env.put("TZ", "UTC");
    return env;
  }

  /**
   * A process builder for the command behind a shell that sets umask 022 first (Java cannot set a
   * child's umask, and the modes of files a tool creates in an image must not depend on the
   * operator's), in the build environment plus {@code environment}, reading /dev/null.
   */
  private static ProcessBuilder builder(List<String> command, Map<String, String> environment) {
    List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "umask 022 && exec \"$@\"", "sh"));
    wrapped.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(wrapped)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().clear();
    builder.environment().putAll(buildEnvironment());
    environment.forEach((key, value) -> {
      if (value == null) {
        builder.environment().remove(key);
      } else {
        builder.environment().put(key, value);
      }
    });
    return builder;
  }
}
