package org.bootfarm.cli.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One farm process of the chaos benchmark: {@code bootfarm ARGS} in a JVM of its own inside network namespace
 * {@code <ns prefix><name>} ({@code ip netns exec} and {@code env} both exec, so the process is the JVM and a
 * kill is a SIGKILL of the JVM itself), given the benchmark's farm CA, appending to {@code <dir>/<name>.log}
 * across restarts.
 */
final class Member {
  final ChaosBenchmark bench;
  final String name;
  final String address;
  final List<String> args;
  final Path farmCa;
  final Path log;
  private Process process;
  private int readyLinesBefore;

  Member(ChaosBenchmark bench, String name, String address, List<String> args, Path farmCa) {
    this.bench = bench;
    this.name = name;
    this.address = address;
    this.args = args;
    this.farmCa = farmCa;
    this.log = bench.dir.resolve(name + ".log");
  }

  synchronized void start() throws IOException {
    readyLinesBefore = readyLines();
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", bench.nsPrefix + name,
        "env", "--default-signal=HUP", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Xmx384m", "-cp", System.getProperty("java.class.path"), "org.bootfarm.cli.Main"));
    command.addAll(args);
    Files.writeString(log, "=== chaos: started " + ChaosBenchmark.stamp() + "\n", java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("BOOTFARM_FARM_CA", farmCa.toString());
    process = builder.start();
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, and waits until the JVM is gone. */
  synchronized void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private int readyLines() throws IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    return (int) Files.readAllLines(log).stream().filter(l -> l.contains(" ready: ") || l.contains(" rejoined: "))
        .count();
  }

  /** Waits until this start printed its ready line; a process that died or never did is a setup error. */
  void awaitReady(int seconds) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    while (System.nanoTime() < deadline) {
      if (readyLines() > readyLinesBefore) {
        return;
      }
      if (!alive()) {
        throw new IllegalStateException(name + " exited before it was ready; see " + log);
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(name + " was not ready within " + seconds + " s; see " + log);
  }
}
