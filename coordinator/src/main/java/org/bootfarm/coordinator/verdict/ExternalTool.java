package org.bootfarm.coordinator.verdict;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * A program the verdict runs on the coordinator (xorriso, diffoscope), found on a search path and
 * run with a cleared environment, a timeout that kills its whole process tree, and a cap on how
 * much of its output is kept, so that a slow or chatty tool cannot stall or flood a report.
 *
 * @param name       the program's name, e.g. {@code xorriso}
 * @param executable where it was found
 */
record ExternalTool(String name, Path executable) {

  /** What the tool's children see as PATH: the system directories only. */
  static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * What a run came to.
   *
   * @param exitCode  the exit code, or -1 when it was killed at its timeout
   * @param stdout    standard output, at most the cap's characters
   * @param truncated true when standard output passed the cap (the rest was read and dropped)
   * @param timedOut  true when it was killed at its timeout
   * @param stderrTail the last characters of standard error, for error messages
   */
  record Run(int exitCode, String stdout, boolean truncated, boolean timedOut, String stderrTail) {}

  /** The executable {@code name} in the first directory of {@code searchPath} that has it. */
  static Optional<ExternalTool> find(String name, List<Path> searchPath) {
    for (Path dir : searchPath) {
      Path candidate = dir.resolve(name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(new ExternalTool(name, candidate));
      }
    }
    return Optional.empty();
  }

  /** The directories of this process's PATH, or the system directories when it has none. */
  static List<Path> processSearchPath() {
    String path = System.getenv("PATH");
    List<Path> dirs = new ArrayList<>();
    for (String dir : (path == null || path.isBlank() ? SYSTEM_PATH : path).split(":")) {
      if (!dir.isEmpty()) {
        dirs.add(Path.of(dir));
      }
    }
    return dirs;
  }

  /**
   * Runs the tool with {@code args} in {@code directory}, in an environment holding only
   * {@code environment}, with no standard input.
   *
   * @param maxOutputChars standard output kept; the rest is read and dropped
   */
  Run run(List<String> args, Map<String, String> environment, Path directory, Duration timeout,
      int maxOutputChars) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(executable.toString());
    command.addAll(args);
    Path stderrFile = Files.createTempFile(directory, name + "-stderr", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(directory.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectError(stderrFile.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process process = builder.start();
    FutureTask<Captured> stdout = new FutureTask<>(() -> capture(process.getInputStream(), maxOutputChars));
    Thread reader = new Thread(stdout, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
    boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    Captured captured;
    try {
      captured = stdout.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      captured = new Captured("", false);
    }
    String stderr = Files.readString(stderrFile, StandardCharsets.UTF_8);
    Files.deleteIfExists(stderrFile);
    String tail = stderr.length() > 2000 ? "..." + stderr.substring(stderr.length() - 2000) : stderr;
    return new Run(finished ? process.exitValue() : -1, captured.text, captured.truncated, !finished, tail.strip());
  }

  private record Captured(String text, boolean truncated) {}

  private static Captured capture(InputStream in, int maxChars) {
    StringBuilder kept = new StringBuilder();
    boolean truncated = false;
    try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      char[] buffer = new char[8192];
      for (int n; (n = reader.read(buffer)) != -1; ) {
        int room = maxChars - kept.length();
        if (n > room) {
          truncated = true;
        }
        kept.append(buffer, 0, Math.max(0, Math.min(n, room)));
      }
    } catch (IOException e) {
      // the process was killed: keep what came
    }
    return new Captured(kept.toString(), truncated);
  }
}
