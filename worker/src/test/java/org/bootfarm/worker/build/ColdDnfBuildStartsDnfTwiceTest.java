package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.fixture.ExampleComponents;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold dnf build with the action cache starts dnf's Python twice, not three times (docs/adr/0058): the
 * resolution, which on the miss also downloads the base's package files with the network, and the base's install
 * without network; and it publishes the same bytes as a build without the action cache, which downloads in a
 * phase of its own. Every process the build starts is seen by strace attached to every thread of this JVM (real
 * dnf, real bubblewrap, the test's own fixture yum repository).
 */
@Tag("tool")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ColdDnfBuildStartsDnfTwiceTest {
  private FixtureYumRepo repo;
  private Path dir;
  private Path definition;
  private final StringBuilder log = new StringBuilder();
  private BuildResult cold;
  private BuildResult withoutActionCache;
  /** One line per successful execve of the cold build, as strace printed it. */
  private List<String> coldStarts;

  @BeforeAll
  void buildColdTracedThenWithoutTheActionCache(@TempDir Path tempDir) throws Exception {
    assumeTrue(ExternalCommand.onPath("strace").isPresent(), "strace is not installed");
    dir = tempDir;
    repo = FixtureYumRepo.startOwnCopy();
    definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Files.createDirectories(dir.resolve("keys"));
    Path trace = dir.resolve("execve.txt");
    Process strace = traceThisJvm(trace);
    try {
      cold = build("cold", true);
    } finally {
      strace.destroy(); // SIGTERM: strace detaches and writes what it has
      strace.waitFor();
    }
    coldStarts = Files.readAllLines(trace).stream()
        .filter(l -> l.contains("execve(") && !l.contains("= -1") && !l.contains("<unfinished")).toList();
    withoutActionCache = build("no-action-cache", false);
  }

  @AfterAll
  void stopRepository() {
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  void aColdBuildStartsDnfsPythonTwice() {
    assertTrue(cold.succeeded(), () -> cold.error() + "\n" + log);
    assertNull(cold.cachedFrom());
    List<String> pythons = coldStarts.stream().filter(ColdDnfBuildStartsDnfTwiceTest::startsDnfsPython).toList();
    assertEquals(2, pythons.size(), () -> "dnf's Python starts:\n" + String.join("\n", pythons));
    assertTrue(pythons.get(0).contains("dnf-resolve.py"), pythons.get(0));
    assertTrue(pythons.get(1).contains("dnf-install-fetched.py"), pythons.get(1));
    assertTrue(log.toString().contains("cold: [build] dnf: the action cache has no entry for this key: fetched the 6"),
        log.toString());
    assertTrue(log.toString().contains("cold: [base] dnf: the resolution fetched"), log.toString());
    assertTrue(log.toString().contains("cold: [build] action cache: stored the outputs under key"), log.toString());
  }

  @Test
  void theResolutionDownloadsWithTheNetworkAndTheInstallHasNone() {
    List<String> sandboxes = coldStarts.stream().filter(l -> l.contains("execve(\"/usr/bin/bwrap\"")).toList();
    String resolution = only(sandboxes, "dnf-resolve.py");
    String install = only(sandboxes, "dnf-install-fetched.py");
    assertTrue(!resolution.contains("\"--unshare-net\""), resolution);
    assertTrue(install.contains("\"--unshare-net\""), install);
    // the install phase's first run is the download phase's command from the cache only: it cannot download
    assertTrue(install.contains("\"--downloadonly\", \"-C\""), install);
    assertTrue(!install.contains("--refresh"), install);
  }

  @Test
  void itPublishesTheBytesOfABuildThatDownloadsInAPhaseOfItsOwn() throws IOException {
    assertTrue(withoutActionCache.succeeded(), () -> withoutActionCache.error() + "\n" + log);
    assertTrue(!log.toString().contains("no-action-cache: [base] dnf: the resolution fetched"), log.toString());
    for (String name : List.of("bootstrap-fixture-tdnf.iso", BuildInfo.FILE_NAME, "manifest.json")) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("no-action-cache-out").resolve(name)),
          Files.readAllBytes(dir.resolve("cold-out").resolve(name)), name);
    }
  }

  /** An execve of dnf's Python: python3 itself (the bootfarm scripts) or the dnf script (its #! line). */
  private static boolean startsDnfsPython(String execve) {
    return execve.contains("execve(\"/usr/bin/python3") || execve.contains("execve(\"/usr/bin/dnf\"");
  }

  private static String only(List<String> lines, String containing) {
    List<String> found = lines.stream().filter(l -> l.contains(containing)).toList();
    assertEquals(1, found.size(), () -> containing + " in:\n" + String.join("\n", lines));
    return found.get(0);
  }

  /** strace following every thread of this JVM and all they start, once it is attached to them all. */
  private static Process traceThisJvm(Path output) throws IOException, InterruptedException {
    List<String> threads = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      tasks.forEach(t -> threads.add(t.getFileName().toString()));
    }
    Process strace = new ProcessBuilder("strace", "-f", "-qq", "-v", "-s", "300", "-e", "trace=execve", "-o",
        output.toString(), "-p", String.join(",", threads)).redirectErrorStream(true)
        .redirectOutput(output.resolveSibling("strace.err").toFile()).start();
    if (!Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(50),
        () -> threads.stream().allMatch(ColdDnfBuildStartsDnfTwiceTest::traced))) {
      throw new IllegalStateException("strace did not attach: "
          + Files.readString(output.resolveSibling("strace.err")));
    }
    return strace;
  }

  /** Whether thread {@code tid} of this JVM is traced, or has ended (nothing of it left to trace). */
  private static boolean traced(String tid) {
    try {
      return Files.readAllLines(Path.of("/proc/self/task", tid, "status")).stream()
          .anyMatch(l -> l.startsWith("TracerPid:") && !l.endsWith("\t0"));
    } catch (IOException ended) {
      return true;
    }
  }

  private BuildResult build(String name, boolean actionCache) {
    BuildRequest request = new BuildRequest(definition, "bootstrap", Map.of("tether", ExampleComponents.of("tether"), "unpack",
        ExampleComponents.of("unpack")), dir.resolve(name + "-out"), dir.resolve(name + "-cache"), dir.resolve("keys"), false,
        Optional.empty(), OptionalLong.of(FixtureYumRepo.SOURCE_DATE_EPOCH), false, null, false)
        .withActionCache(actionCache, null);
    return new BuildEngine(PackageDrivers.standard()).run(request,
        (stage, text) -> log.append(name).append(": [").append(stage).append("] ").append(text).append('\n'));
  }
}
