package org.bootfarm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.testkit.ChildJvm;

/** Runs {@code bootfarm} commands for tests, in-process or as a separate JVM, and captures what they print. */
final class CliRun {
  final int exitCode;
  final String stdout;
  final String stderr;

  private CliRun(int exitCode, String stdout, String stderr) {
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Runs in this JVM (System.out and System.err are captured while it runs). */
  static synchronized CliRun inProcess(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Main.run(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Runs in a new JVM started through {@code wrapper} (e.g. {@code sh -c 'umask 077; exec "$@"'}),
   * with extra environment variables.
   */
  static CliRun subprocess(List<String> wrapper, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return subprocess(wrapper, env, null, args);
  }

  /**
   * As {@link #subprocess(List, Map, String...)}, with {@code codeFirst} (null for none) before the test's classpath:
   * its classes and resources replace bootfarm's own of the same name, as another build of the code would.
   */
  static CliRun subprocess(List<String> wrapper, Map<String, String> env, Path codeFirst, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(ChildJvm.command());
    command.add("-cp");
    command.add((codeFirst == null ? "" : codeFirst + java.io.File.pathSeparator) + System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    Path out = Files.createTempFile("bootfarm-out", ".txt");
    Path err = Files.createTempFile("bootfarm-err", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    int code = builder.start().waitFor();
    CliRun run = new CliRun(code, Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return run;
  }

  JsonNode json() throws IOException {
    return new ObjectMapper().readTree(stdout);
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + tail(stderr);
  }

  private static String tail(String text) {
    return text.length() > 6000 ? "..." + text.substring(text.length() - 6000) : text;
  }
}
