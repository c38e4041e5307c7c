package org.bootfarm.coordinator.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verdict's tools run for real in their bubblewrap sandbox: cut and stopped on time with everything they
 * started, in only the environment given, and seeing of the host only its programs, the inputs named and their
 * scratch directory. A tool standing in for one whose parser an ISO has taken over tries to read what it was not
 * given, write outside its directory, reach the coordinator's network and change the kernel's settings; each is
 * refused.
 */
@Tag("tool")
class ExternalToolTest {

  private static final List<Path> SYSTEM = List.of(Path.of("/usr/bin"), Path.of("/bin"));

  @TempDir Path dir;

  @BeforeEach
  void needsBubblewrap() {
    assumeTrue(ExternalTool.sandboxProgram().isPresent(), "bubblewrap (Debian package bubblewrap) is not installed");
  }

  private static ExternalTool tool(String name) {
    return ExternalTool.find(name, SYSTEM).orElseThrow(() -> new AssertionError(name + " is not in /usr/bin or /bin"));
  }

  @Test
  void endlessOutputIsCutAtTheCapAndStoppedAtTheTimeout() throws Exception {
    long start = System.nanoTime();
    ExternalTool.Run run = tool("yes").run(List.of("differs"), List.of(), Map.of(), dir, Duration.ofMillis(800), 100);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(run.timedOut());
    assertTrue(run.truncated());
    assertEquals(-1, run.exitCode());
    assertEquals(100, run.stdout().length());
    assertTrue(run.stdout().startsWith("differs\ndiffers\n"), run.stdout());
    assertTrue(seconds < 15, "stopped after " + seconds + " s");
  }

  @Test
  void timeoutKillsTheChildrenToo() throws Exception {
    // the child's pid inside the sandbox is not the host's: it is found on the host by its unique argument
    String marker = "987." + ProcessHandle.current().pid();
    AtomicBoolean seen = new AtomicBoolean();
    CompletableFuture<Void> watching = CompletableFuture.runAsync(() -> {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!seen.get() && System.nanoTime() < until) {
        seen.set(!sleepers(marker).isEmpty());
        Thread.onSpinWait();
      }
    });
    ExternalTool.Run run = tool("sh").run(List.of("-c", "sleep " + marker + " & wait"), List.of(),
        Map.of("PATH", "/usr/bin:/bin"), dir, Duration.ofMillis(3000), 1000);
    watching.get(30, TimeUnit.SECONDS);
    assertTrue(run.timedOut());
    assertTrue(seen.get(), "the sandboxed sleep " + marker + " was never seen running on the host");
    Eventually.holds(Duration.ofSeconds(5), Duration.ofMillis(100), () -> sleepers(marker).isEmpty());
    assertEquals(List.of(), sleepers(marker), "sleep " + marker + " survived its sandbox's timeout");
  }

  private static List<ProcessHandle> sleepers(String marker) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false))
        .filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
        .toList();
  }

  @Test
  void runsInOnlyTheGivenEnvironment() throws Exception {
    ExternalTool.Run run = tool("env").run(List.of(), List.of(), Map.of("LC_ALL", "C", "TZ", "UTC"), dir,
        Duration.ofSeconds(30), 10_000);
    assertEquals(0, run.exitCode(), run.stderrTail());
    assertFalse(run.truncated());
    // bwrap keeps PWD, the tool's own directory
    assertEquals(List.of("LC_ALL=C", "PWD=" + dir, "TZ=UTC"), run.stdout().lines().sorted().toList());
  }

  @Test
  void standardErrorKeepsItsEndWhereToolsSayWhatWentWrong() throws Exception {
    ExternalTool.Run run = tool("sh").run(List.of("-c", "yes noise | head -c 100000 >&2; echo 'the last words' >&2;"
        + " echo out; exit 3"), List.of(), Map.of("PATH", "/usr/bin:/bin"), dir, Duration.ofSeconds(30), 1000);
    assertEquals(3, run.exitCode());
    assertEquals("out\n", run.stdout());
    assertTrue(run.stderrTail().startsWith("..."), run.stderrTail());
    assertTrue(run.stderrTail().endsWith("the last words"), run.stderrTail());
    assertTrue(run.stderrTail().length() <= 2003, "cut to its last 2,000 characters: " + run.stderrTail().length());
  }

  @Test
  void aSandboxBwrapCannotMakeIsReportedAndTheToolNeverRuns() throws Exception {
    // bwrap refuses an input that does not exist, as it refuses namespaces under a strict seccomp profile
    Path marker = dir.resolve("ran");
    ExternalTool.Run run = tool("sh").run(List.of("-c", "touch " + marker), List.of(dir.resolve("missing.iso")),
        Map.of("PATH", "/usr/bin:/bin"), dir, Duration.ofSeconds(30), 1000);
    assertTrue(run.sandboxRefused(), run::toString);
    assertFalse(Files.exists(marker), "the tool ran although its sandbox was not made");
    String note = run.sandboxRefusedNote("no diffoscope report");
    assertTrue(note.startsWith("the coordinator could not make the sandbox its tools run in (bwrap: "), note);
    assertTrue(note.contains("missing.iso") && note.contains("deploy/images/README.md"), note);
  }

  @Test
  void missingToolIsNotFound() {
    assertTrue(ExternalTool.find("xorriso", List.of(dir)).isEmpty());
    assertTrue(ExternalTool.find("sh", List.of(dir, Path.of("/bin"))).isPresent());
  }

  @Test
  void aToolSeesOnlyItsInputsAndItsScratchDirectory() throws Exception {
    Path secrets = Files.createDirectories(dir.resolve("coordinator-data"));
    Path token = Files.writeString(secrets.resolve("tokens.json"), "{\"admin\":\"s3cret-token\"}");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Path input = Files.writeString(Files.createDirectories(dir.resolve("store")).resolve("left.iso"), "ISO bytes");
    Path besideInput = Files.writeString(dir.resolve("store").resolve("other.iso"), "another build's ISO");
    Path scratch = Files.createDirectories(dir.resolve("scratch"));
    String coreBefore = Files.readString(Path.of("/proc/sys/kernel/core_pattern"));
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setSoTimeout(1000);
      String script = String.join("\n",
          "cat " + input + " && echo '<read input>'",
          "cat " + token + " || echo '<no token>'",
          "cat " + besideInput + " || echo '<no other ISO>'",
          "cat /etc/shadow || echo '<no shadow>'",
          "ls /var/lib/bootfarm /root 2>/dev/null || echo '<no data directories>'",
          // inside, these may land in the sandbox's own /tmp; the host's files are checked below
          "(echo pwned > " + secrets.resolve("planted") + ") 2>/dev/null; echo '<tried beside the data>'",
          "(echo pwned > " + dir.resolve("planted") + ") 2>/dev/null; echo '<tried outside scratch>'",
          "echo kept > out.txt && echo '<wrote scratch>'",
          // the same value written back: a write that gets through changes nothing on a machine running the test
          "cat /proc/sys/kernel/core_pattern > /tmp/pattern && cat /tmp/pattern > /proc/sys/kernel/core_pattern"
              + " || echo '<no kernel setting>'",
          "exec 3<>/dev/tcp/127.0.0.1/" + listener.getLocalPort() + " && echo '<connected>' || echo '<no network>'",
          "");
      Path hostile = Files.writeString(dir.resolve("hostile-tool"), "#!/bin/bash\n" + script);
      Files.setPosixFilePermissions(hostile, PosixFilePermissions.fromString("rwxr-xr-x"));
      ExternalTool.Run run = new ExternalTool("hostile-tool", hostile).run(List.of(), List.of(input),
          Map.of("PATH", ExternalTool.SYSTEM_PATH), scratch, Duration.ofSeconds(60), 100_000);

      assertEquals(0, run.exitCode(), run.stderrTail());
      List<String> said = run.stdout().lines().toList();
      assertEquals(List.of("ISO bytes<read input>", "<no token>", "<no other ISO>", "<no shadow>",
          "<no data directories>", "<tried beside the data>", "<tried outside scratch>", "<wrote scratch>",
          "<no kernel setting>", "<no network>"), said, run.stderrTail());
      assertFalse(run.stdout().contains("s3cret"));
      assertFalse(Files.exists(secrets.resolve("planted")));
      assertFalse(Files.exists(dir.resolve("planted")));
      assertEquals("kept\n", Files.readString(scratch.resolve("out.txt")));
      assertEquals(coreBefore, Files.readString(Path.of("/proc/sys/kernel/core_pattern")));
      try {
        listener.accept().close();
        throw new AssertionError("the sandboxed tool reached a listener on the coordinator's loopback");
      } catch (SocketTimeoutException expected) {
        // nothing came
      }
    }
  }
}
