package org.bootfarm.worker.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class BuildSlotsTest {
  private final BuildSlots slots = new BuildSlots(2, new WorkerLog("w1"));
  private final BlockingQueue<BuildReport> ended = new LinkedBlockingQueue<>();

  @AfterEach
  void close() {
    slots.close();
  }

  private static Assignment assignment(String id, int attempt) {
    return new Assignment(id, "fixture", "bootstrap", Map.of(), Map.of(), "a".repeat(64), "http://127.0.0.1:1",
        attempt);
  }

  private static BuildReport report(Assignment a, BuildState state) {
    return new BuildReport(a.buildId(), "w1", a.attempt(), state, List.of(), List.of(), null, null, false, null);
  }

  @Test
  void anAssignmentDeliveredTwiceRunsOnceAndIsHeldUntilItsReportIsAnswered() throws Exception {
    AtomicInteger launched = new AtomicInteger();
    Assignment a = assignment("01J", 0);
    BuildSlots.Launcher launcher = (assignment, self) -> {
      launched.incrementAndGet();
      return report(assignment, BuildState.SUCCEEDED);
    };
    slots.take(a, launcher, (taken, report) -> ended.add(report));
    slots.take(a, launcher, (taken, report) -> ended.add(report));
    BuildReport report = ended.poll(10, TimeUnit.SECONDS);
    assertEquals(BuildState.SUCCEEDED, report.state());
    assertEquals(1, launched.get());
    assertEquals(List.of("01J"), slots.heldBuilds(), "held until the report is answered");
    slots.release(report);
    assertEquals(List.of(), slots.heldBuilds());
  }

  @Test
  void aCancelStopsTheRunItNamesAndNoOther() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    BuildSlots.Launcher waitsUntilStopped = (assignment, self) -> {
      self.start();
      started.countDown();
      try {
        Thread.sleep(30_000); // the behaviour under test: a long build the cancel interrupts
        return report(assignment, BuildState.SUCCEEDED);
      } catch (InterruptedException e) {
        return report(assignment, self.end() ? BuildState.CANCELLED : BuildState.FAILED);
      }
    };
    slots.take(assignment("01J", 1), waitsUntilStopped, (taken, report) -> ended.add(report));
    assertTrue(started.await(10, TimeUnit.SECONDS));
    assertEquals(1, slots.busy());
    slots.cancel(new RunCancel("01J", 0)); // another attempt: ignored
    slots.cancel(new RunCancel("01X", 1)); // not held here: ignored
    assertEquals(null, ended.poll(200, TimeUnit.MILLISECONDS));
    slots.cancel(new RunCancel("01J", 1));
    assertEquals(BuildState.CANCELLED, ended.poll(10, TimeUnit.SECONDS).state());
  }

  @Test
  void aDrainAdvertisesNoSlotsAndWaitsForTheHeldBuilds() throws Exception {
    assertEquals(2, slots.advertised());
    Assignment a = assignment("01J", 0);
    slots.take(a, (assignment, self) -> report(assignment, BuildState.SUCCEEDED), (taken, report) -> ended.add(report));
    slots.startDraining();
    assertEquals(0, slots.advertised());
    assertEquals(List.of("01J"), slots.awaitNoneHeld(Duration.ofMillis(300)), "the report is not answered yet");
    slots.release(ended.poll(10, TimeUnit.SECONDS));
    assertEquals(List.of(), slots.awaitNoneHeld(Duration.ofSeconds(10)));
  }
}
