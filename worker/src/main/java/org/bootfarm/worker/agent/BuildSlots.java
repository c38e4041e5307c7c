package org.bootfarm.worker.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.RunCancel;

/**
 * The builds this worker holds and the slots they run on: takes an assignment once (one delivered
 * twice runs once), runs it on a free slot, stops it when the coordinator cancels it, and holds it —
 * in the heartbeat's list, so its lease is renewed — from the moment it is taken until its report
 * is answered. While {@linkplain #startDraining draining} it advertises no slots.
 */
final class BuildSlots {
  /** Runs one build on the calling slot thread and says how it ended. */
  @FunctionalInterface
  interface Launcher {
    BuildReport launch(Assignment assignment, RunningBuild self) throws Exception;
  }

  private final int slotCount;
  private final WorkerLog log;
  private final ExecutorService slots;
  /** Builds held here, by id: running, or finished with the report not yet answered. Their leases are renewed. */
  private final Map<String, Integer> held = new ConcurrentHashMap<>();
  /** The runs taken, as build id and attempt, so one assignment delivered twice runs once. */
  private final Set<String> runs = ConcurrentHashMap.newKeySet();
  /** The runs on a slot now, by build id: what a {@link RunCancel} stops. */
  private final Map<String, RunningBuild> running = new ConcurrentHashMap<>();
  private final AtomicInteger busy = new AtomicInteger();
  private volatile boolean draining;
  private volatile boolean leaveNow;

  BuildSlots(int slotCount, WorkerLog log) {
    this.slotCount = slotCount;
    this.log = log;
    this.slots = Executors.newFixedThreadPool(slotCount, DaemonThreads.named("bootfarm-build-slot"));
  }

  /**
   * Runs an assignment with {@code launcher} on a free slot unless this run was taken already; when it
   * ends (with a report, or a worker error as a FAILED one) hands the report to {@code ended}.
   */
  void take(Assignment assignment, Launcher launcher, BiConsumer<Assignment, BuildReport> ended) {
    if (!runs.add(assignment.buildId() + "/" + assignment.attempt())) {
      return;
    }
    held.put(assignment.buildId(), assignment.attempt());
    RunningBuild self = new RunningBuild(assignment.attempt());
    running.put(assignment.buildId(), self);
    log.info("build " + assignment.buildId() + " (" + assignment.repo() + ") run " + (assignment.attempt() + 1)
        + " started");
    CompletableFuture.supplyAsync(() -> {
      busy.incrementAndGet();
      try {
        return launcher.launch(assignment, self);
      } catch (Exception e) {
        return EngineLauncher.failed(assignment, log.workerId(), "worker error: " + e, "INTERNAL", false);
      } finally {
        busy.decrementAndGet();
      }
    }, slots).whenComplete((report, error) -> running.remove(assignment.buildId(), self))
        .thenAccept(report -> ended.accept(assignment, report));
  }

  /** Stops the run the coordinator cancelled, if it runs here; ignores it (with a log line) otherwise. */
  void cancel(RunCancel cancel) {
    RunningBuild run = running.get(cancel.cancel());
    String which = "build " + cancel.cancel() + " run " + (cancel.attempt() + 1);
    if (run == null || run.attempt != cancel.attempt()) {
      log.info(which + ": cancel ignored: this worker does not run it"
          + (run == null ? " (it ended already, or never ran here)" : " (it runs run " + (run.attempt + 1) + ")"));
      return;
    }
    if (run.cancel()) {
      log.info(which + ": cancelled by the coordinator; stopping it");
    }
  }

  /** The build's report was answered (or given up on): it is no longer held. */
  void release(BuildReport report) {
    held.remove(report.buildId(), report.attempt());
  }

  /** From now on no slot is advertised, so placement gives this worker no new build. */
  void startDraining() {
    draining = true;
  }

  /**
   * Waits until no build is held, {@code timeout} has passed or {@link #leaveNow} is called; returns the
   * builds still held then, sorted.
   */
  List<String> awaitNoneHeld(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!held.isEmpty() && !leaveNow && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return heldBuilds();
  }

  void leaveNow() {
    leaveNow = true;
  }

  /** The slots the heartbeat offers: none while draining. */
  int advertised() {
    return draining ? 0 : slotCount;
  }

  int busy() {
    return busy.get();
  }

  /** The builds held now, sorted: running, or finished with the report not answered yet. */
  List<String> heldBuilds() {
    return held.keySet().stream().sorted().toList();
  }

  /** Interrupts the running builds and takes no more. */
  void close() {
    slots.shutdownNow();
  }
}
