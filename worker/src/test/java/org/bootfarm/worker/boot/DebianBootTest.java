package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Boots the debian-12 bootstrap ISO under qemu with a busybox container disk and checks what the
 * seed asks of a custom bootstrap: the entropy daemon runs from /.tether, and the iptables rules the
 * test tether applies through /.tether/bin/iptables-wrapper list exactly as the seed's, for a bridge
 * network and for a published port.
 *
 * <p>The ISO comes from {@code bench/plain-pipeline.sh} (cache: system property
 * {@code bootfarm.boot.cache}), or from the file named by the system property {@code bootfarm.boot.iso}.
 */
class DebianBootTest {

  private static final String DONE = "=== BOOTFARM-TETHER-DONE ===";
  private static final Duration PIPELINE_TIMEOUT = Duration.ofMinutes(20);
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);

  private static QemuBoot.Result boot;

  @BeforeAll
  static void buildAndBoot() throws IOException, InterruptedException {
    Path projectRoot = projectRoot();
    Path work = projectRoot.resolve("worker/target/boot-test");
    Files.createDirectories(work);
    Path tether = projectRoot.resolve("worker/src/test/resources/boot/tether");
    Path unpack = projectRoot.resolve("worker/src/test/resources/boot/unpack");

    Path iso;
    String givenIso = System.getProperty("bootfarm.boot.iso");
    if (givenIso != null && !givenIso.isBlank()) {
      iso = Path.of(givenIso);
    } else {
      Path cache = Path.of(System.getProperty("bootfarm.boot.cache",
          Path.of(System.getProperty("java.io.tmpdir"), "bootfarm-plain-pipeline-cache").toString()));
      Path log = work.resolve("plain-pipeline.log");
      long start = System.nanoTime();
      QemuBoot.run(log, PIPELINE_TIMEOUT, projectRoot.resolve("bench/plain-pipeline.sh").toString(),
          work.resolve("pipeline").toString(), tether.toString(), unpack.toString(), cache.toString());
      System.out.printf("plain pipeline built the ISO in %.1f s:%n", (System.nanoTime() - start) / 1e9);
      Files.readAllLines(log).stream().filter(l -> l.startsWith("TIMING")).forEach(System.out::println);
      iso = work.resolve("pipeline/bootstrap-debian-12.iso");
    }

    Path disk = ContainerDisk.withBusyboxFrom(iso, work.resolve("disk"));
    boot = QemuBoot.boot(iso, disk, DONE, BOOT_TIMEOUT);
    Files.writeString(work.resolve("console.log"), boot.console());
    System.out.printf("qemu ran %.1f s (timed out: %s, exit %d); console in %s%n",
        boot.elapsed().toMillis() / 1e3, boot.timedOut(), boot.exitCode(), work.resolve("console.log"));
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
    List<String> commands = section("processes").lines()
        .map(line -> line.strip().replaceFirst("^\\d+\\s+", ""))
        .toList();
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

  private static String section(String name) {
    return boot.section(name).orElseThrow(() -> new AssertionError(
        "the console has no section " + name + "; console:\n" + boot.console()));
  }

  private static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path candidate = dir; candidate != null; candidate = candidate.getParent()) {
      if (Files.isExecutable(candidate.resolve("bench/plain-pipeline.sh"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("no bench/plain-pipeline.sh in " + dir + " or above; run from the project");
  }
}
