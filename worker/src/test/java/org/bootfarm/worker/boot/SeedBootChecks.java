package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.build.EngineProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Boots a bootstrap ISO under qemu with a busybox container disk and checks what the seed asks of a
 * custom bootstrap: the entropy daemon runs from /.tether, and the iptables rules the test tether
 * applies through /.tether/bin/iptables-wrapper list exactly as the seed's, for a bridge network and
 * for a published port. A subclass says which ISO.
 */
@Tag("boot")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SeedBootChecks {

  static final String DONE = "=== BOOTFARM-TETHER-DONE ===";
  /**
   * The lock the qemu boot tests take turns on, in a lane beside the worker's other tests
   * (junit-platform.properties): the Debian ones share the package cache worker/target/boot-cache, and no two
   * VMs under TCG (one CPU each) compete for the machine's two CPUs with the other lane's work.
   */
  static final String BOOT_LANE = "worker/target/boot-cache";
  private static final Duration PIPELINE_TIMEOUT = Duration.ofMinutes(20);
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);

  QemuBoot.Result boot;

  /** The ISO to boot, built into (or found for) {@code work}. */
  abstract Path iso(Path work) throws IOException, InterruptedException;

  /**
   * Work that does not need the boot, done while qemu runs (TCG keeps one CPU busy, the other is free): a
   * subclass's rebuild from the record. Nothing by default.
   */
  void whileBooting(Path work) throws IOException, InterruptedException {}

  /** A directory of its own under worker/target for this test class. */
  abstract String workName();

  /** The container disk to boot with: by default one with the busybox of the ISO's own initramfs. */
  Path containerDisk(Path iso, Path dir) throws IOException, InterruptedException {
    return ContainerDisk.withBusyboxFrom(iso, dir);
  }

  @BeforeAll
  void buildAndBoot() throws IOException, InterruptedException {
    Path work = projectRoot().resolve("worker/target").resolve(workName());
    Files.createDirectories(work);
    Path iso = iso(work);
    Path disk = containerDisk(iso, work.resolve("disk"));
    QemuBoot.Background booting = QemuBoot.start(iso, disk, DONE, BOOT_TIMEOUT, 512);
    try {
      whileBooting(work);
    } finally {
      boot = booting.result();
    }
    Files.writeString(work.resolve("console.log"), boot.console());
    System.out.printf("qemu ran %.1f s (timed out: %s, exit %d); console in %s%n",
        boot.elapsed().toMillis() / 1e3, boot.timedOut(), boot.exitCode(), work.resolve("console.log"));
  }

  /**
   * Builds a definition into {@code work/out} with the bootfarm engine in a child JVM, with the
   * stand-in components from examples/components and the package cache shared by the boot tests.
   */
  static EngineProcess.Run engineBuild(Path work, String outName, Path definition, List<String> wrapper,
      Map<String, String> environment) throws IOException, InterruptedException {
    Path keys = Files.createDirectories(work.resolve("keys"));
    long start = System.nanoTime();
    EngineProcess.Run run = EngineProcess.build(wrapper, environment, definition, work.resolve(outName),
        projectRoot().resolve("worker/target/boot-cache"), keys,
        Map.of("tether", component("tether"), "unpack", component("unpack")));
    System.out.printf("bootfarm built %s in %.1f s: %s%n", definition.getFileName(),
        (System.nanoTime() - start) / 1e9, run.result().stages());
    if (run.exitCode() != 0) {
      throw new AssertionError("the build failed: " + run.result().error() + "\n" + run.log());
    }
    return run;
  }

  /** The built ISO among a build's artifacts. */
  static Path isoOf(Path work, String outName, EngineProcess.Run run) {
    return run.result().artifacts().stream().filter(a -> a.name().endsWith(".iso"))
        .map(a -> work.resolve(outName).resolve(a.name())).findFirst()
        .orElseThrow(() -> new AssertionError("no ISO among " + run.result().artifacts()));
  }

  static List<String> plainEnvironmentWrapper() {
    return List.of("/bin/sh", "-c", "umask 022; exec \"$@\"", "sh");
  }

  @Test
  void bootReachesTetherWithTheWholeInitramfs() {
    assertTrue(boot.printed(DONE), () -> "the test tether never finished; console:\n" + boot.console());
    assertFalse(boot.timedOut(), "qemu had to be killed: the guest did not power off");
    assertFalse(boot.console().contains("Initramfs unpacking failed"),
        () -> "the kernel could not unpack the whole initramfs (too big for the RAM?):\n" + boot.console());
    assertFalse(boot.console().contains("bootstrap: FATAL") || boot.console().contains("BOOTFARM-RULE-FAILED"),
        () -> "the bootstrap or a tether rule failed:\n" + boot.console());
  }

  @Test
  void entropyDaemonRunsFromTether() {
    List<String> commands = processes();
    assertTrue(commands.contains(SeedListings.ENTROPY_COMMAND),
        () -> "no process runs '" + SeedListings.ENTROPY_COMMAND + "'; processes:\n" + String.join("\n", commands));
  }

  @Test
  void bridgeNetworkRulesMatchTheSeed() {
    assertEquals(SeedListings.parse(SeedListings.BRIDGE_FILTER), SeedListings.parse(section("filter-bridge")));
  }

  @Test
  void publishedPortRulesMatchTheSeed() {
    assertEquals(SeedListings.parse(SeedListings.PUBLISHED_FILTER),
        SeedListings.parse(section("filter-published")));
  }

  @Test
  void publishedPortNatRulesMatchTheSeed() {
    assertEquals(SeedListings.parse(SeedListings.PUBLISHED_NAT), SeedListings.parse(section("nat-published")));
  }

  @Test
  void unpackIsInstalledBesideTether() {
    assertEquals("unpack (bootfarm test stand-in)", section("unpack").strip());
  }

  /** The command lines of the processes tether saw, without their pids. */
  List<String> processes() {
    return section("processes").lines().map(line -> line.strip().replaceFirst("^\\d+\\s+", "")).toList();
  }

  String section(String name) {
    return boot.section(name).orElseThrow(() -> new AssertionError(
        "the console has no section " + name + "; console:\n" + boot.console()));
  }

  /** A stand-in component shipped in examples/components (tether, unpack). */
  static Path component(String name) {
    return projectRoot().resolve("examples/components").resolve(name);
  }

  static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path candidate = dir; candidate != null; candidate = candidate.getParent()) {
      if (Files.isExecutable(candidate.resolve("bench/plain-pipeline.sh"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("no bench/plain-pipeline.sh in " + dir + " or above; run from the project");
  }
}
