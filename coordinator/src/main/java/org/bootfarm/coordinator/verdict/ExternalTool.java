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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.bootfarm.sandbox.Sandbox;

/**
 * A program the verdict runs on the coordinator over two untrusted ISOs (xorriso, diffoscope), found
 * on a search path and run in a {@link Sandbox}: no network, no capability, nothing of the host but its
 * programs, the input files named (read-only) and one scratch directory (writable); the coordinator's
 * data (the store, tokens, the farm CA's key) and every other file are absent. An ISO is made by a
 * definition's hooks and carried by a worker, so a parser bug in the tool must not become the
 * coordinator's. The run has a cleared environment, a timeout that kills the whole sandbox, and a cap
 * on how much of its output is kept, so a slow or chatty tool cannot stall or flood a report either.
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
  record Run(int exitCode, String stdout, boolean truncated, boolean timedOut, String stderrTail) {

    /**
     * Whether bubblewrap could not make the sandbox, so the tool never ran: bwrap's own error (exit 1, a
     * {@code bwrap:} line, nothing on standard output), e.g. in a container whose seccomp profile refuses new
     * namespaces.
     */
    boolean sandboxRefused() {
      return exitCode == 1 && stdout.isEmpty() && stderrTail.startsWith("bwrap: ");
    }

    /** What a verdict note says when {@link #sandboxRefused}: bwrap's reason and what to do. */
    String sandboxRefusedNote(String what) {
      return "the coordinator could not make the sandbox its tools run in (" + stderrTail.lines().findFirst()
          .orElse("") + "): " + what + ". Run the coordinator where it may create namespaces (deploy/images/README.md,"
          + " \"The verdict's sandbox\").";
    }
  }

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

  /**
   * bubblewrap, which every run needs, from the system directories; absent, the caller says so in the verdict and
   * runs no tool (none runs outside a sandbox).
   */
  static Optional<Path> sandboxProgram() {
    return find(Sandbox.BWRAP, systemSearchPath()).map(ExternalTool::executable);
  }

  /** The note a verdict carries when {@link #sandboxProgram} found nothing. */
  static String noSandboxNote(String what) {
    return "bubblewrap is not installed on the coordinator (Debian package bubblewrap): " + what + " (the verdict"
        + " runs no tool over the ISOs outside a sandbox).";
  }

  /** The directories of this process's PATH, or the system directories when it has none. */
  static List<Path> processSearchPath() {
    String path = System.getenv("PATH");
    return directories(path == null || path.isBlank() ? SYSTEM_PATH : path);
  }

  private static List<Path> systemSearchPath() {
    return directories(SYSTEM_PATH);
  }

  /** The directories of a PATH-style list, empty entries left out. */
  private static List<Path> directories(String path) {
    return Arrays.stream(path.split(":")).filter(dir -> !dir.isEmpty()).map(Path::of).toList();
  }

  /**
   * Runs the tool with {@code args} in a sandbox ({@code bwrap}, found by {@link #sandboxProgram}), in
   * {@code directory}, in an environment holding only {@code environment}, with no standard input. Inside, the
   * tool sees the host's programs, {@code inputs} read-only at their own paths and {@code directory} writable;
   * nothing else of the host. What it leaves in {@code directory} is the caller's to read, without following
   * links.
   *
   * @param maxOutputChars standard output kept; the rest is read and dropped
   * @throws IOException when bubblewrap is not installed, naming its package
   */
  Run run(List<String> args, List<Path> inputs, Map<String, String> environment, Path directory,
      Duration timeout, int maxOutputChars) throws IOException, InterruptedException {
    Path bwrap = sandboxProgram().orElseThrow(() -> new IOException(noSandboxNote("cannot run " + name)));
    Sandbox sandbox = Sandbox.confined().environment(environment).workingDirectory(directory);
    sandbox.readOnly(executable);
    for (Path input : inputs) {
      sandbox.readOnly(input);
    }
    sandbox.writable(directory);
    List<String> program = new ArrayList<>();
    program.add(executable.toString());
    program.addAll(args);
    List<String> command = new ArrayList<>(sandbox.command(program));
    command.set(0, bwrap.toString());
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(directory.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    // bwrap itself gets nothing of this process's environment either; the tool's is set inside
    builder.environment().clear();
    builder.environment().put("PATH", SYSTEM_PATH);
    Process process = builder.start();
    // both streams are pipes: a file the tool could reach (its scratch directory) could be swapped for a link
    FutureTask<Captured> stdout = read(() -> capture(process.getInputStream(), maxOutputChars, false), "-stdout");
    FutureTask<Captured> stderr = read(() -> capture(process.getErrorStream(), STDERR_KEPT, true), "-stderr");
    boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    Captured out = collected(stdout);
    Captured err = collected(stderr);
    String tail = err.truncated ? "..." + err.text : err.text;
    return new Run(finished ? process.exitValue() : -1, out.text, out.truncated, !finished, tail.strip());
  }

  /** How much of standard error a run keeps: its end, where most tools say what went wrong. */
  private static final int STDERR_KEPT = 2000;

  private FutureTask<Captured> read(java.util.concurrent.Callable<Captured> reading, String suffix) {
    FutureTask<Captured> task = new FutureTask<>(reading);
    Thread reader = new Thread(task, name + suffix);
    reader.setDaemon(true);
    reader.start();
    return task;
  }

  private static Captured collected(FutureTask<Captured> task) throws InterruptedException {
    try {
      return task.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return new Captured("", false);
    }
  }

  private record Captured(String text, boolean truncated) {}

  /**
   * At most {@code maxChars} characters of the stream, its start or (with {@code keepEnd}) its end, and whether
   * there were more; the rest is read and dropped, so the tool never blocks on a full pipe.
   */
  private static Captured capture(InputStream in, int maxChars, boolean keepEnd) {
    StringBuilder kept = new StringBuilder();
    boolean truncated = false;
    try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      char[] buffer = new char[8192];
      for (int n; (n = reader.read(buffer)) != -1; ) {
        int room = keepEnd ? n : Math.max(0, maxChars - kept.length());
        kept.append(buffer, 0, Math.min(n, room));
        truncated |= n > room || keepEnd && kept.length() > maxChars;
        if (keepEnd && kept.length() > 2 * maxChars) {
          kept.delete(0, kept.length() - maxChars);
        }
      }
    } catch (IOException e) {
      // the process was killed: keep what came
    }
    if (kept.length() > maxChars) {
      kept.delete(0, kept.length() - maxChars);
    }
    return new Captured(kept.toString(), truncated);
  }
}
