package org.bootfarm.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ClusterNodeProcess} running in a child JVM, seen from the test: its stdout lines in
 * order, commands written to its stdin, and kill -9.
 */
final class ChildNode implements AutoCloseable {
  /** Quiets Hazelcast's warnings about the module system (docs/field-notes.md). */
  static final List<String> JVM_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  final String name;
  final Path log;
  private final Process process;
  private final Writer stdin;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();

  private ChildNode(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader out =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the child died; the test sees the missing lines
      }
    }, "stdout-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static ChildNode start(String name, NodeRole role, String clusterName, int port, String join, Path dir)
      throws IOException {
    Path dataDir = Files.createDirectories(dir.resolve(name));
    Path log = dir.resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_FLAGS);
    command.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        ClusterNodeProcess.class.getName(), name, role.name(), clusterName, Integer.toString(port), join,
        dataDir.toString()));
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    return new ChildNode(name, process, log);
  }

  /** The next line starting with {@code prefix}, skipping others; fails after {@code seconds}. */
  String await(String prefix, double seconds) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        throw new AssertionError(name + " printed no '" + prefix + "' line in " + seconds + " s (alive: "
            + process.isAlive() + "); lines so far " + seen + "; see " + log);
      }
      seen.add(line);
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  void command(String line) throws IOException {
    stdin.write(line + "\n");
    stdin.flush();
  }

  /** SIGKILL: the process gets no chance to leave the cluster. */
  void killMinus9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM: the JVM runs its shutdown hooks. */
  void terminate() {
    process.destroy();
  }

  /** SIGSTOP: the process freezes with its sockets open, as a hung or swapped-out JVM would. */
  void freeze() throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new AssertionError("kill -STOP " + process.pid() + " failed");
    }
  }

  boolean exited(double seconds) throws InterruptedException {
    return process.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS);
  }

  int exitValue() {
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      killMinus9();
    }
  }
}
