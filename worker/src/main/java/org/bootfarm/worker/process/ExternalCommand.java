package org.bootfarm.worker.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bootfarm.sandbox.Sandbox;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
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

  /** The search path of every tool the worker starts. */
  public static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** The proxy settings every tool is passed (a proxy's URL may hold its credentials: only phases with network). */
  public static final List<String> PASSED_THROUGH = Sandbox.PROXY_VARIABLES;

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
   * <p>The output is read on a thread of its own, so the calling thread waits interruptibly: when it
   * is interrupted (the build was cancelled) the tool and all its descendants are {@linkplain #stop stopped}
   * and an {@link InterruptedIOException} is thrown, the thread's interrupt flag left set; a command
   * started while the flag is set is stopped at once. A clean-up that must run after an interruption (an
   * umount) clears the flag around its call and sets it again after.
   *
   * @throws IOException when the tool cannot be started; {@link InterruptedIOException} when the wait is
   *     interrupted
   */
  public static Result run(List<String> command, Map<String, String> environment, Path directory,
      Consumer<String> lines) throws IOException {
    return run(command, environment, directory, lines, null);
  }

  /**
   * {@link #run(List, Map, Path, Consumer)} for a tool that asks one question on its output and reads the answer
   * on its standard input: {@code answer} sees every output line after {@code lines} did, and the first non-null
   * it returns is written, with a newline, to the tool's standard input, which is then closed (as it is when
   * {@code answer} throws, which fails the run once the tool ended: the tool reads end of input). {@code answer}
   * must answer the line after which the tool waits: a tool left waiting is never stopped. Null: no standard
   * input.
   */
  public static Result run(List<String> command, Map<String, String> environment, Path directory,
      Consumer<String> lines, java.util.function.Function<String, String> answer) throws IOException {
    ProcessBuilder builder = builder(command, environment).redirectErrorStream(true);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    if (answer != null) {
      builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    }
    Process process = builder.start();
    Deque<String> tail = new ArrayDeque<>();
    AtomicReference<IOException> readFailure = new AtomicReference<>();
    Consumer<String> reading = answer == null ? lines : answering(process, lines, answer, readFailure);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          reading.accept(line);
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
        }
      } catch (IOException e) {
        readFailure.set(e);
      } finally {
        closeQuietly(process.getOutputStream()); // never leave the tool waiting for an answer
      }
    }, "output-of-" + Path.of(command.get(0)).getFileName());
    reader.setDaemon(true);
    reader.start();
    try {
      int exit = process.waitFor();
      reader.join(); // until every descendant holding the output closed it, as a read to the end would
      if (readFailure.get() != null) {
        throw readFailure.get();
      }
      return new Result(List.copyOf(command), exit, new ArrayList<>(tail));
    } catch (InterruptedException e) {
      stop(process);
      try {
        reader.join(STOP_GRACE.toMillis());
      } catch (InterruptedException again) {
        // stopping already
      }
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted = new InterruptedIOException("interrupted while running " + command.get(0)
          + ": stopped it and its child processes");
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  /** {@code lines}, then {@code answer}'s first non-null reply written to the process's standard input, closed after. */
  private static Consumer<String> answering(Process process, Consumer<String> lines,
      java.util.function.Function<String, String> answer, AtomicReference<IOException> failure) {
    java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
    return line -> {
      lines.accept(line);
      if (answered.get()) {
        return;
      }
      try {
        String reply = answer.apply(line);
        if (reply != null) {
          answered.set(true);
          java.io.OutputStream stdin = process.getOutputStream();
          stdin.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
          stdin.flush();
          closeQuietly(stdin);
        }
      } catch (IOException e) {
        closeQuietly(process.getOutputStream()); // the tool ended before it read the answer: it reads end of input
      } catch (RuntimeException e) {
        // reported when the tool has ended; the output is still read to its end, so the tool never blocks
        answered.set(true);
        closeQuietly(process.getOutputStream());
        failure.compareAndSet(null, new IOException("cannot answer " + line + ": " + e, e));
      }
    };
  }

  private static void closeQuietly(java.io.OutputStream stream) {
    try {
      stream.close();
    } catch (IOException e) {
      // already closed, or the tool has ended
    }
  }

  /** How long {@link #stop} waits after SIGTERM before it sends SIGKILL. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(2);

  /**
   * Stops {@code process} and every descendant it has now: SIGTERM to all, then SIGKILL to those still
   * alive after {@link #STOP_GRACE}. The descendants are listed before the first signal, so children that
   * an ended parent left behind (reparented to init) are stopped too.
   */
  public static void stop(Process process) {
    stop(process, STOP_GRACE);
  }

  /** {@link #stop(Process)} with another grace between SIGTERM and SIGKILL. */
  public static void stop(Process process, Duration grace) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle handle : tree) {
      while (handle.isAlive() && System.nanoTime() < deadline) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          break; // interrupted again: straight to SIGKILL
        }
      }
    }
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
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
        stop(process);
        Thread.currentThread().interrupt();
        throw (IOException) new InterruptedIOException("interrupted while running " + command.get(0)).initCause(e);
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

  /**
   * The first non-blank line a tool prints (e.g. for {@code --version}), or "unknown" when it prints none or fails
   * (a tool that is not installed: the shell's "not found" is no version).
   */
  public static String firstLine(List<String> command) {
    try {
      Result result = run(command, Map.of(), null, line -> {});
      if (!result.succeeded()) {
        return "unknown";
      }
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
    return Sandbox.runningAsRoot();
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
