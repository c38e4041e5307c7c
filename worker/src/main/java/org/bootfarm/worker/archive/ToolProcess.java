package org.bootfarm.worker.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs one of the external tools the writers drive (GNU tar, xorriso) the reproducible way:
 * {@code LC_ALL=C}, {@code TZ=UTC}, no stdin, output captured and quoted in the error when the
 * tool fails.
 */
public final class ToolProcess {

  private static final int ERROR_TAIL = 4000;

  private ToolProcess() {}

  /** Runs {@code command}; {@code what} says what it was doing, for the error message. */
  public static String run(List<String> command, String what, String debianPackage)
      throws IOException {
    return run(command, Map.of(), what, debianPackage);
  }

  /**
   * Runs {@code command} with {@code extraEnv} added to a {@code LC_ALL=C TZ=UTC} environment
   * and returns its combined output; throws an {@link IOException} quoting the output's tail
   * when it exits non-zero, or naming {@code debianPackage} when the program is not installed.
   */
  public static String run(
      List<String> command, Map<String, String> extraEnv, String what, String debianPackage)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE"));
    env.put("LC_ALL", "C");
    env.put("TZ", "UTC");
    env.putAll(extraEnv);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run " + command.get(0) + " (" + what + "): " + e.getMessage()
              + "; install the Debian package '" + debianPackage + "'", e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit;
    try {
      exit = process.waitFor();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + what, e);
    }
    if (exit != 0) {
      String tail =
          output.length() > ERROR_TAIL ? "..." + output.substring(output.length() - ERROR_TAIL) : output;
      throw new IOException(
          what + " failed: " + String.join(" ", command) + " exited " + exit + ":\n" + tail.strip());
    }
    return output;
  }

  /** Whether {@code program} is an executable on this worker's PATH (or an absolute path). */
  public static boolean installed(String program) {
    if (program.contains("/")) {
      return Files.isExecutable(Path.of(program));
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
