package org.bootfarm.cli.monitoring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's promtool (package {@code prometheus}) and answers its exit status and output. */
final class Promtool {
  private Promtool() {}

  /** What one promtool run printed (stdout and stderr together) and how it exited. */
  record Result(int exit, String output) {
    boolean succeeded() {
      return exit == 0;
    }
  }

  /** Runs {@code promtool args...} in dir; fails with what to install when promtool is missing. */
  static Result run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("promtool");
    command.addAll(List.of(args));
    Process process;
    try {
      process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run promtool (" + e.getMessage() + "): install Debian's prometheus package "
          + "(apt-get install prometheus; it is listed in deploy/packages/test.txt)", e);
    }
    process.getOutputStream().close();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("promtool " + String.join(" ", args) + " did not finish within 120 s");
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
