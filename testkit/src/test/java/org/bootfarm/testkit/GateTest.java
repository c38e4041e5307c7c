package org.bootfarm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hook holding {@link Gate#hookLines()} waits until the test opens the gate, is found waiting in its
 * bundle directory, and leaves the bundle as it found it. Runs the lines in plain bash, without a sandbox.
 */
@Tag("unit")
class GateTest {
  @TempDir Path dir;

  Process hook(Gate gate, Path bundle) throws Exception {
    Files.createDirectories(bundle.resolve("rootfs"));
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", "set -e\n" + gate.hookLines() + "echo passed\n");
    builder.environment().put("PKGDIR", bundle.toString());
    return builder.redirectErrorStream(true).start();
  }

  @Test
  void aHookWaitsUntilTheTestOpensTheGateAndLeavesNothingBehind() throws Exception {
    Gate gate = new Gate("gate-test");
    Path bundle = dir.resolve("worker/cache/builds/b1/staging");
    Process hook = hook(gate, bundle);

    assertEquals(bundle, gate.awaitReached(dir, Duration.ofSeconds(30)));
    assertFalse(hook.waitFor(300, TimeUnit.MILLISECONDS), "the hook waits at the closed gate");
    gate.open(bundle);

    assertTrue(hook.waitFor(30, TimeUnit.SECONDS), "the hook went on once the gate was open");
    assertEquals("passed", new String(hook.getInputStream().readAllBytes()).strip());
    assertEquals(0, hook.exitValue());
    try (var left = Files.list(bundle)) {
      assertEquals(List.of(bundle.resolve("rootfs")), left.toList(), "the markers are gone");
    }
  }

  @Test
  void keepOpeningLetsTheWaitingHookAndEveryLaterArrivalGoOn() throws Exception {
    Gate gate = new Gate("gate-test");
    Process waiting = hook(gate, dir.resolve("run-0"));
    gate.awaitReached(dir, Duration.ofSeconds(30));
    try (AutoCloseable open = gate.keepOpening(dir)) {
      assertTrue(waiting.waitFor(30, TimeUnit.SECONDS), "the hook seen waiting went on");
      for (String run : List.of("run-1", "run-2")) {
        Process hook = hook(gate, dir.resolve(run));
        assertTrue(hook.waitFor(30, TimeUnit.SECONDS), run + " went on");
        assertEquals(0, hook.exitValue());
      }
    }
  }
}
