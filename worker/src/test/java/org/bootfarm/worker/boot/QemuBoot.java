package org.bootfarm.worker.boot;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Boots an ISO under qemu (TCG: no KVM on the build machines) with a virtio disk attached, collects
 * everything the guest writes to its serial console, and makes sure qemu is gone afterwards.
 *
 * <p>The guest is expected to power itself off ({@code -no-reboot} also turns a kernel panic into an
 * exit); qemu is killed when the timeout passes, or shortly after the done marker was printed if the
 * guest then fails to power off.
 */
public final class QemuBoot {

  private static final Duration GRACE_AFTER_MARKER = Duration.ofSeconds(10);

  /**
   * What one boot produced.
   *
   * @param console   the serial console output, carriage returns removed
   * @param elapsed   from starting qemu to its exit (or to killing it)
   * @param timedOut  whether qemu had to be killed
   * @param exitCode  qemu's exit status (meaningless when timed out)
   */
  public record Result(String console, Duration elapsed, boolean timedOut, int exitCode) {

    /** Whether the console shows the line. */
    public boolean printed(String line) {
      return console.lines().anyMatch(l -> l.strip().equals(line));
    }

    /**
     * The lines between {@code === BOOTFARM-BEGIN name ===} and {@code === BOOTFARM-END name ===},
     * or empty when the guest never printed both markers.
     */
    public Optional<String> section(String name) {
      String begin = "=== BOOTFARM-BEGIN " + name + " ===";
      String end = "=== BOOTFARM-END " + name + " ===";
      List<String> lines = console.lines().toList();
      int from = -1;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.equals(begin)) {
          from = i + 1;
        } else if (line.equals(end) && from >= 0) {
          return Optional.of(String.join("\n", lines.subList(from, i)));
        }
      }
      return Optional.empty();
    }
  }

  private QemuBoot() {}

  /**
   * Boots {@code iso} with {@code disk} as a raw virtio disk and 512 MiB of RAM.
   *
   * @param doneMarker a console line after which the guest should power off within seconds
   * @param timeout    how long the whole boot may take before qemu is killed
   */
  public static Result boot(Path iso, Path disk, String doneMarker, Duration timeout)
      throws IOException, InterruptedException {
    return boot(iso, disk, doneMarker, timeout, 512);
  }

  /**
   * Boots {@code iso} with {@code memoryMib} of RAM and, unless {@code disk} is null, {@code disk} as a raw
   * virtio disk.
   */
  public static Result boot(Path iso, Path disk, String doneMarker, Duration timeout, int memoryMib)
      throws IOException, InterruptedException {
    for (Path file : disk == null ? List.of(iso) : List.of(iso, disk)) {
      if (!Files.isReadable(file)) {
        throw new IOException("cannot boot: " + file + " is not readable");
      }
    }
    List<String> command = new java.util.ArrayList<>(List.of("qemu-system-x86_64", "-m", String.valueOf(memoryMib),
        "-display", "none", "-no-reboot", "-cdrom", iso.toString(), "-serial", "stdio", "-monitor", "none"));
    if (disk != null) {
      command.addAll(List.of("-drive", "file=" + disk + ",format=raw,if=virtio"));
    }
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    long start = System.nanoTime();
    Process qemu;
    try {
      qemu = builder.start();
    } catch (IOException e) {
      throw new IOException("cannot start qemu-system-x86_64 (apt-get install qemu-system-x86): "
          + e.getMessage(), e);
    }
    StringBuilder console = new StringBuilder();
    long[] markerSeenAt = {-1};
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          String clean = line.replace("\r", "");
          synchronized (console) {
            console.append(clean).append('\n');
            if (clean.strip().equals(doneMarker) && markerSeenAt[0] < 0) {
              markerSeenAt[0] = System.nanoTime();
            }
          }
        }
      } catch (IOException e) {
        synchronized (console) {
          console.append("[QemuBoot: reading the console failed: ").append(e.getMessage()).append("]\n");
        }
      }
    }, "qemu-console");
    reader.setDaemon(true);
    reader.start();

    boolean timedOut = false;
    try {
      long deadline = start + timeout.toNanos();
      while (!qemu.waitFor(200, TimeUnit.MILLISECONDS)) {
        long now = System.nanoTime();
        long marker;
        synchronized (console) {
          marker = markerSeenAt[0];
        }
        if (now > deadline || (marker > 0 && now - marker > GRACE_AFTER_MARKER.toNanos())) {
          timedOut = now > deadline;
          kill(qemu);
          break;
        }
      }
    } finally {
      if (qemu.isAlive()) {
        kill(qemu);
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    reader.join(5_000);
    String output;
    synchronized (console) {
      output = console.toString();
    }
    return new Result(output, elapsed, timedOut, timedOut ? -1 : qemu.exitValue());
  }

  /**
   * A boot started on a thread of its own, so that a test does other work (a rebuild pinned to one CPU) while
   * the guest runs under TCG, which keeps one CPU busy. {@link #result} waits for it.
   */
  public static final class Background {
    private final java.util.concurrent.FutureTask<Result> task;

    private Background(java.util.concurrent.FutureTask<Result> task) {
      this.task = task;
    }

    /** The boot's result, once qemu is gone (at most the boot's timeout after it started). */
    public Result result() throws IOException, InterruptedException {
      try {
        return task.get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof InterruptedException interrupted) {
          throw interrupted;
        }
        throw new IllegalStateException("the qemu boot failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** {@link #boot(Path, Path, String, Duration, int)} on a thread of its own. */
  public static Background start(Path iso, Path disk, String doneMarker, Duration timeout, int memoryMib) {
    java.util.concurrent.FutureTask<Result> task =
        new java.util.concurrent.FutureTask<>(() -> boot(iso, disk, doneMarker, timeout, memoryMib));
    Thread thread = new Thread(task, "qemu-boot");
    thread.setDaemon(true);
    thread.start();
    return new Background(task);
  }

  private static void kill(Process qemu) throws InterruptedException {
    qemu.destroy();
    if (!qemu.waitFor(3, TimeUnit.SECONDS)) {
      qemu.destroyForcibly();
      qemu.waitFor(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Runs a tool to completion with its output in {@code log}, failing with the log's tail when it
   * exits non-zero or outlives {@code timeout}.
   */
  static void run(Path log, Duration timeout, String... command) throws IOException, InterruptedException {
    run(log, timeout, Map.of(), command);
  }

  /** As {@link #run(Path, Duration, String...)}, with {@code environment} added to this process's. */
  static void run(Path log, Duration timeout, Map<String, String> environment, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(environment);
    Process process = builder
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish within " + timeout + "; see " + log);
    }
    if (process.exitValue() != 0) {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + "; last lines of "
          + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
    }
  }
}
