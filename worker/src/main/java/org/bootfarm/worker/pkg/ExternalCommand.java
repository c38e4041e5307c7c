package org.bootfarm.worker.pkg;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs a tool such as dnf or rpm to completion, handing each output line (stdout and stderr
 * merged, in the order the tool wrote them) to a consumer as it arrives and keeping the last
 * lines for error messages.
 */
public final class ExternalCommand {

  /** How many trailing output lines a {@link Result} keeps. */
  public static final int TAIL_LINES = 400;

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
   * Runs {@code command} in {@code directory} with the environment changed by {@code environment}
   * (a null value removes a variable), streaming every line to {@code lines}.
   *
   * @throws IOException when the tool cannot be started
   */
  public static Result run(List<String> command, Map<String, String> environment, Path directory,
      Consumer<String> lines) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(withUmask(command)).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    applyEnvironment(builder, environment);
    Process process = builder.start();
    Deque<String> tail = new ArrayDeque<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
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
  public static List<String> output(List<String> command, Map<String, String> environment)
      throws IOException {
    Path errors = Files.createTempFile("bootfarm-stderr", ".txt");
    try {
      ProcessBuilder builder = new ProcessBuilder(withUmask(command))
          .redirectError(errors.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      applyEnvironment(builder, environment);
      Process process = builder.start();
      List<String> out = new ArrayList<>();
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
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
   * The command behind a shell that sets umask 022 first: Java cannot set a child's umask, and the
   * modes of every file a tool creates in an image must not depend on the operator's umask.
   */
  static List<String> withUmask(List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "umask 022 && exec \"$@\"", "sh"));
    wrapped.addAll(command);
    return wrapped;
  }

  private static void applyEnvironment(ProcessBuilder builder, Map<String, String> environment) {
    environment.forEach((key, value) -> {
      if (value == null) {
        builder.environment().remove(key);
      } else {
        builder.environment().put(key, value);
      }
    });
  }

  /** The executable named {@code tool} on the PATH, if there is one. */
  public static Optional<Path> onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
