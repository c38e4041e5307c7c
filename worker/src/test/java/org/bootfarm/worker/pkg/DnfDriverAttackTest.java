package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.fixture.EscapeProbe;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.fixture.HostCanaries;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signed package whose post-install script attacks the worker, installed for real by the dnf
 * driver: the script (bootfarm-probe, a static program run by rpm chrooted into the image) escapes
 * the chroot, then tries the host's /etc, /root, another repo's cache and this repo's cache, the
 * network and the host's disk. Each attempt is refused, the refusal is in the build log, and the
 * canaries outside the build are unchanged. Without the sandbox the same package writes the host's
 * /etc (docs/field-notes.md, "Sandboxes").
 */
@Tag("tool")
class DnfDriverAttackTest {

  private static FixtureYumRepo repo;
  private final DnfDriver driver = new DnfDriver();
  private final List<String> logLines = Collections.synchronizedList(new ArrayList<>());

  @TempDir Path dir;

  @BeforeAll
  static void startRepository() throws IOException {
    repo = FixtureYumRepo.start(FixtureYumRepo.Variant.HOSTILE_SCRIPTLET);
  }

  @AfterAll
  static void stopRepository() {
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  void packageScriptThatEscapesTheChrootFindsNothingOfTheHostToReadOrWriteAndNoNetwork() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "rpm runs package scripts chrooted only as root");
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Path cache = dir.resolve("cache");
    // a first, harmless build fills this repo's cache, which the hostile script then tries to change
    driver.install(session(definition, "first", cache), List.of("filesystem", "toybox"));
    Path cachedToybox = cachedRpm(cache, "toybox");
    long device = (Long) Files.getAttribute(dir, "unix:dev");

    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        HostCanaries canaries = new HostCanaries()) {
      Path hostEtc = Path.of("/etc", HostCanaries.uniqueName());
      Path rootSecret = canaries.plant(Path.of("/root", HostCanaries.uniqueName()));
      Path otherRepoCache = canaries.plant(Path.of("/var/cache/bootfarm/repos", HostCanaries.uniqueName(), "dnf/x.rpm"));
      Path newInCache = cache.resolve("dnf").resolve(HostCanaries.uniqueName());
      canaries.watch(cache.resolve("dnf"));
      String toyboxBefore = sha256(cachedToybox);
      PackageSession hostile = session(definition, "hostile", cache);
      Path workFile = hostile.workDir().resolve("dnf/dnf.conf");
      new EscapeProbe()
          .connect(listener.getLocalPort())
          .device(major(device), minor(device))
          .read(rootSecret).read(otherRepoCache).read(Path.of("/etc/shadow"))
          .write(hostEtc).write(cachedToybox).write(newInCache).write(workFile)
          .writeInto(hostile.rootfs());

      driver.install(hostile, List.of("filesystem", EscapeProbe.PACKAGE));

      List<String> reports = EscapeProbe.reports(logLines);
      reports.forEach(System.out::println);
      assertEquals(Optional.of("OK"), EscapeProbe.outcome(logLines, "chroot escape"),
          "the script ran and left rpm's chroot (into the sandbox): " + reports);
      assertRefused("connect 127.0.0.1:" + listener.getLocalPort(), reports);
      listener.setSoTimeout(100); // a connection it made would be waiting in the backlog by now
      assertThrows(SocketTimeoutException.class, listener::accept, "the script reached 127.0.0.1");
      assertEquals(Optional.of("OK"), EscapeProbe.outcome(logLines,
          "mknod /bootfarm-probe-disk b " + major(device) + ":" + minor(device)), reports::toString);
      assertEquals(Optional.of("refused: Permission denied"), EscapeProbe.outcome(logLines, "read /bootfarm-probe-disk"),
          "the image is nodev: " + reports);
      assertRefused("read " + rootSecret, reports);
      assertRefused("read " + otherRepoCache, reports);
      assertRefused("read /etc/shadow", reports);
      assertEquals(Optional.of("refused: Read-only file system"), EscapeProbe.outcome(logLines, "write " + hostEtc),
          reports::toString);
      assertRefused("write " + cachedToybox, reports);
      assertRefused("write " + workFile, reports);

      assertFalse(Files.exists(hostEtc), "the package script wrote the host's /etc");
      assertFalse(Files.exists(newInCache), "the package script added a file to the repo's cache");
      assertEquals(toyboxBefore, sha256(cachedToybox), "the package script changed a cached package");
      assertFalse(Files.readString(workFile).contains(EscapeProbe.PACKAGE), "the script rewrote dnf's configuration");
      canaries.assertNoSecretIn("the build log", String.join("\n", logLines));
      canaries.assertUntouched();
      assertTrue(Files.isRegularFile(hostile.rootfs().resolve("usr/bin/" + EscapeProbe.PACKAGE)), "installed anyway");
    }
  }

  private static void assertRefused(String attempt, List<String> reports) {
    String line = reports.stream().filter(l -> l.startsWith(EscapeProbe.PREFIX + attempt + ": ")).findFirst()
        .orElseThrow(() -> new AssertionError("the script did not try " + attempt + ": " + reports));
    assertTrue(line.contains(": refused: "), "not refused: " + line);
  }

  private PackageSession session(RepoDefinition definition, String name, Path cache) throws IOException {
    Path build = Files.createDirectories(dir.resolve(name));
    BuildLog log = (stage, text) -> logLines.add(text);
    return new PackageSession(definition, Files.createDirectories(build.resolve("rootfs")),
        Files.createDirectories(cache), Files.createDirectories(build.resolve("work")), Optional.empty(),
        FixtureYumRepo.SOURCE_DATE_EPOCH, "base", log);
  }

  private static Path cachedRpm(Path cache, String name) throws IOException {
    try (Stream<Path> files = Files.walk(cache)) {
      return files.filter(f -> f.getFileName().toString().startsWith(name + "-") && f.toString().endsWith(".rpm"))
          .findFirst().orElseThrow(() -> new AssertionError(name + " is not in the cache " + cache));
    }
  }

  private static String sha256(Path file) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  private static long major(long device) {
    return ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfffL);
  }

  private static long minor(long device) {
    return (device & 0xff) | ((device >> 12) & ~0xffL);
  }
}
