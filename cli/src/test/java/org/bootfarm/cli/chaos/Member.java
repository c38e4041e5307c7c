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
  /** Whether this member should be running: cleared by a kill, set by a start; the supervisor restarts it. */
  private volatile boolean wanted;
  /** Exits nobody asked for, each restarted by {@link #superviseOnce}. */
  volatile int unplannedExits;

  Member(ChaosBenchmark bench, String name, String address, List<String> args, Path farmCa) {
    this.bench = bench;
    this.name = name;
    this.address = address;
    this.args = args;
    this.farmCa = farmCa;
    this.log = bench.dir.resolve(name + ".log");
  }

  synchronized void start() throws IOException {
    wanted = true;
    readyLinesBefore = readyLines();
    List<String> command = new ArrayList<>(Network.inNamespace(bench.nsPrefix + name));
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
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
    wanted = false;
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * As systemd's Restart=always would: starts this member again when it exited by itself (e.g. a coordinator
   * whose join took longer than 60 s on the loaded machine); returns whether it did.
   */
  synchronized boolean superviseOnce() throws IOException {
    if (!wanted || process == null || process.isAlive()) {
      return false;
    }
    unplannedExits++;
    bench.say("supervisor: " + name + " exited by itself with " + process.exitValue() + "; starting it again");
    start();
    return true;
  }

  private int readyLines() throws IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    return (int) Files.readAllLines(log).stream().filter(l -> l.contains(" ready: ") || l.contains(" rejoined: "))
        .count();
  }

  /**
   * Waits until this member printed its ready line since its last start; when it exits first it is started
   * again, as a supervisor would, until {@code seconds} pass (then it is a setup error or a finding).
   */
  void awaitReady(int seconds) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    while (System.nanoTime() < deadline) {
      if (readyLines() > readyLinesBefore) {
        return;
      }
      superviseOnce();
      Thread.sleep(200);
    }
    throw new IllegalStateException(name + " was not ready within " + seconds + " s; see " + log);
  }
}
