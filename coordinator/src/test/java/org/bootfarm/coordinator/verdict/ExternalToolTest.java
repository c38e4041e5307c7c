package org.bootfarm.coordinator.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class ExternalToolTest {

  private static final List<Path> SYSTEM = List.of(Path.of("/usr/bin"), Path.of("/bin"));

  private static ExternalTool tool(String name) {
    return ExternalTool.find(name, SYSTEM).orElseThrow(() -> new AssertionError(name + " is not in /usr/bin or /bin"));
  }

  @Test
  void endlessOutputIsCutAtTheCapAndStoppedAtTheTimeout(@TempDir Path dir) throws Exception {
    long start = System.nanoTime();
    ExternalTool.Run run = tool("yes").run(List.of("differs"), Map.of(), dir, Duration.ofMillis(800), 100);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(run.timedOut());
    assertTrue(run.truncated());
    assertEquals(-1, run.exitCode());
    assertEquals(100, run.stdout().length());
    assertTrue(run.stdout().startsWith("differs\ndiffers\n"), run.stdout());
    assertTrue(seconds < 15, "stopped after " + seconds + " s");
  }

  @Test
  void timeoutKillsTheChildrenToo(@TempDir Path dir) throws Exception {
    Path pidFile = dir.resolve("child.pid");
    ExternalTool.Run run = tool("sh").run(List.of("-c", "sleep 60 & echo $! > " + pidFile + "; wait"),
        Map.of("PATH", "/usr/bin:/bin"), dir, Duration.ofMillis(1500), 1000);
    assertTrue(run.timedOut());
    long child = Long.parseLong(Files.readString(pidFile).strip());
    Eventually.holds(Duration.ofSeconds(5), Duration.ofMillis(100),
        () -> !ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false));
    assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "sleep " + child + " survived");
  }

  @Test
  void runsInOnlyTheGivenEnvironment(@TempDir Path dir) throws Exception {
    ExternalTool.Run run = tool("env").run(List.of(), Map.of("LC_ALL", "C", "TZ", "UTC"), dir,
        Duration.ofSeconds(30), 10_000);
    assertEquals(0, run.exitCode());
    assertFalse(run.truncated());
    assertEquals(List.of("LC_ALL=C", "TZ=UTC"), run.stdout().lines().sorted().toList());
  }

  @Test
  void missingToolIsNotFound(@TempDir Path dir) {
    assertTrue(ExternalTool.find("xorriso", List.of(dir)).isEmpty());
    assertTrue(ExternalTool.find("sh", List.of(dir, Path.of("/bin"))).isPresent());
  }
}
