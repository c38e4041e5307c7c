package org.bootfarm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The CPU time a process on this machine has used so far, from Linux's {@code /proc/PID/task/TID/stat}, split
 * into its JIT compiler threads' ("C1 CompilerThre", "C2 CompilerThre") and everything else: what a benchmark
 * phase cost in CPU, and whether the JVM was still compiling during it (then it is not the steady state).
 *
 * @param workNanos CPU time (user + system) of every thread but the compilers'
 * @param jitNanos CPU time of the JIT compiler threads
 */
record ProcessCpu(long workNanos, long jitNanos) {
  /** Linux's clock ticks per second for {@code /proc} times (USER_HZ, 100 on every common build). */
  private static final long TICK_NANOS = 10_000_000L;

  /** What {@code pid} has used so far; threads that ended before are not counted (the JVM keeps its pools). */
  static ProcessCpu of(long pid) throws IOException {
    long work = 0;
    long jit = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException ended) {
          continue; // the thread ended between the listing and the read
        }
        // "tid (comm) state ppid ...": comm may hold spaces and parentheses; fields after it are fixed
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
          jit += ticks * TICK_NANOS;
        } else {
          work += ticks * TICK_NANOS;
        }
      }
    }
    return new ProcessCpu(work, jit);
  }

  /** What was used between {@code before} and this. */
  ProcessCpu since(ProcessCpu before) {
    return new ProcessCpu(workNanos - before.workNanos, jitNanos - before.jitNanos);
  }

  /** "W µs + JIT J µs" per one of {@code count} requests. */
  String perRequest(int count) {
    return String.format("%,.0f µs + JIT %,.0f µs", workNanos / 1e3 / count, jitNanos / 1e3 / count);
  }
}
