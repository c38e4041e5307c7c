package org.bootfarm.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Interrupting the thread that waits for a real tool stops the tool and every process it started. */
@Tag("unit")
class ExternalCommandTest {

  /** What the interrupted thread saw: the exception, whether its interrupt flag was still set, and when. */
  private record Outcome(Throwable thrown, boolean stillInterrupted, long endedNanos) {}

  @Test
  void aToolsQuestionIsAnsweredOnItsStandardInputOnce() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    ExternalCommand.Result result = ExternalCommand.run(List.of("/bin/sh", "-c",
        "echo 'fetch?'; read answer; echo \"answer: $answer\"; echo 'fetch?'; read again || echo 'end of input'"),
        Map.of(), null, lines::add, line -> line.equals("fetch?") ? "fetch" : null);
    assertTrue(result.succeeded(), result.lastLines(10));
    assertEquals(List.of("fetch?", "answer: fetch", "fetch?", "end of input"), lines);
  }

  @Test
  void anAnswerThatFailsClosesTheToolsInputAndFailsTheRun() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    IOException failed = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> ExternalCommand.run(
        List.of("/bin/sh", "-c", "echo 'fetch?'; read answer || echo 'end of input'; seq 1 20000"), Map.of(), null,
        lines::add, line -> {
          throw new IllegalStateException("no key");
        }));
    assertTrue(failed.getMessage().contains("no key"), failed.getMessage());
    assertEquals("end of input", lines.get(1));
    assertEquals("20000", lines.get(lines.size() - 1), "the output was read to its end");
  }

  @Test
  void interruptStopsTheWholeProcessTree() throws Exception {
    String marker = "300.4711";
    Outcome outcome = interruptWhileRunning("sleep " + marker + " & sleep " + marker + " & echo started; sleep "
        + marker, marker);
    assertInstanceOf(InterruptedIOException.class, outcome.thrown(), "the interrupted run throws");
    assertTrue(outcome.stillInterrupted(), "the thread's interrupt flag is left set for its caller");
    assertEquals(List.of(), sleepsWith(marker), "no process of the tree is left");
  }

  @Test
  void childrenThatIgnoreSigtermAreKilledAfterTheGrace() throws Exception {
    String marker = "300.4712";
    long before = System.nanoTime();
    Outcome outcome = interruptWhileRunning("trap '' TERM; sleep " + marker + " & echo started; sleep " + marker,
        marker);
    assertInstanceOf(InterruptedIOException.class, outcome.thrown());
    assertEquals(List.of(), sleepsWith(marker), "processes ignoring SIGTERM are killed");
    assertTrue(outcome.endedNanos() - before >= ExternalCommand.STOP_GRACE.toNanos(),
        "SIGKILL comes only after the grace");
  }

  /** Runs {@code script} on a thread, interrupts it once the script printed "started", returns what happened. */
  private Outcome interruptWhileRunning(String script, String marker) throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    Thread runner = new Thread(() -> {
      try {
        ExternalCommand.run(List.of("sh", "-c", script), Map.of(), null, lines::add);
        outcome.complete(new Outcome(null, Thread.currentThread().isInterrupted(), System.nanoTime()));
      } catch (IOException e) {
        outcome.complete(new Outcome(e, Thread.currentThread().isInterrupted(), System.nanoTime()));
      }
    });
    runner.start();
    Eventually.holds(Duration.ofSeconds(20), Duration.ofMillis(20), () -> lines.contains("started"));
    assertTrue(lines.contains("started"), "the script started; its output: " + lines);
    assertTrue(sleepsWith(marker).size() >= 2, "the sleeps run before the interrupt: " + sleepsWith(marker));
    runner.interrupt();
    Outcome result = outcome.get(ExternalCommand.STOP_GRACE.toSeconds() + 10, TimeUnit.SECONDS);
    runner.join(5000);
    return result;
  }

  /** The pids of live processes whose command line is {@code sleep marker} (zombies are not alive). */
  private static List<Long> sleepsWith(String marker) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
        try {
          String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          String status = Files.readString(p.resolve("status"));
          return cmdline.equals("sleep\0" + marker + "\0") && !status.contains("State:\tZ");
        } catch (IOException gone) {
          return false;
        }
      }).map(p -> Long.parseLong(p.getFileName().toString())).sorted().toList();
    }
  }
}
