package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.fixture.EscapeProbe;
import org.bootfarm.worker.fixture.HostCanaries;
import org.bootfarm.worker.fixture.HostileDebRepo;
import org.bootfarm.worker.fixture.TamperingDebRepo;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.sandbox.Sandbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The apt driver against the real Debian archive, through the worker's own apt sources. One root
 * is bootstrapped cold for the whole class; a second, into another directory, must come entirely
 * from the warm cache and be the same tree. No test changes those two: a test that changes a root
 * works on a copy of the first, so each stands alone, in any order.
 */
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AptDriverTest {
  private static final long SOURCE_DATE_EPOCH = 1_700_000_000L;
  private static final List<String> BASE = List.of("busybox-static", "kmod");

  private final AptDriver driver = new AptDriver();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private Path dir;
  private RepoDefinition definition;
  private PackageSession first;
  private InstallReport firstReport;
  private List<String> firstLog;
  private PackageSession second;
  private InstallReport secondReport;
  private List<String> secondResolution;
  private List<String> secondLog;

  @BeforeAll
  void bootstrapOneRootCold() throws Exception {
    assumeTrue(driver.unavailableReason().isEmpty(), () -> "apt driver unavailable: " + driver.unavailableReason());
    dir = Files.createTempDirectory("apt-driver-test");
    definition = definition(dir.resolve("debian-test"));
    first = session("first", dir.resolve("cache"));
    plantBaseShFile(first.rootfs());
    firstReport = driver.install(first, BASE);
    firstLog = List.copyOf(log);
  }

  @AfterAll
  void removeTemporaryFiles() throws IOException {
    if (dir != null) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test
  void installsBusyboxIntoAFreshRootAndKeepsWhatBaseShPutThere() throws IOException {
    Path root = first.rootfs();
    assertTrue(Files.isExecutable(root.resolve("bin/busybox")), "bin/busybox in " + root);
    assertTrue(Files.isExecutable(root.resolve("bin/kmod")), "bin/kmod in " + root);
    assertEquals("from base.sh\n", Files.readString(root.resolve("etc/base-sh-was-here")));
    assertTrue(firstReport.downloaded() > 10, "a cold cache downloads the essential set: " + firstReport);
    assertTrue(firstReport.bytesDownloaded() > 1_000_000, firstReport.toString());
    assertEquals(List.of(), children(root.resolve("var/cache/apt/archives")), "no package files left in the image");
    assertEquals(List.of(), children(root.resolve("var/lib/apt/lists")), "no indices left in the image");
    assertFalse(Files.exists(root.resolve("usr/share/man/man1")), "manuals are path-excluded");
    assertTrue(Files.exists(root.resolve("usr/share/doc/busybox-static/copyright")), "copyright files stay");
  }

  /**
   * A cold bootstrap fetches while mmdebstrap starts (docs/adr/0063): the files its essential phase may need first,
   * then the others (busybox-static is not essential and nothing essential needs it); mmdebstrap waited at both
   * gates, and what it installed is what was fetched.
   */
  @Test
  void aColdBootstrapFetchesWhileMmdebstrapStartsAndMmdebstrapWaitsAtItsGates() {
    String fetching = firstLog.stream().filter(l -> l.startsWith("apt: fetching ")).findFirst()
        .orElseThrow(() -> new AssertionError("no fetch: " + firstLog));
    java.util.regex.Matcher counts = java.util.regex.Pattern.compile(
        "apt: fetching (\\d+) package files \\(\\d+ bytes\\) on \\d+ connections while mmdebstrap starts: first the"
            + " (\\d+) its essential phase may need \\(\\d+ bytes\\), then the other (\\d+)").matcher(fetching);
    assertTrue(counts.matches(), fetching);
    int all = Integer.parseInt(counts.group(1));
    int essential = Integer.parseInt(counts.group(2));
    assertTrue(essential > 10 && essential < all, fetching);
    assertEquals(all, essential + Integer.parseInt(counts.group(3)), fetching);
    assertEquals(all, firstReport.downloaded(), "every file fetched was installed and downloaded once");
    assertTrue(firstLog.stream().anyMatch(l -> l.contains("running --setup-hook in shell") && l.contains("gate' essential")),
        "mmdebstrap ran the first gate: " + firstLog);
    assertTrue(firstLog.stream().anyMatch(l -> l.contains("running --essential-hook in shell") && l.contains("gate' all")),
        "mmdebstrap ran the second gate: " + firstLog);
    int essentialGate = indexOf(firstLog, "gate' essential");
    int secondGate = indexOf(firstLog, "gate' all");
    int mergedUsrEssentialHook = indexOf(firstLog, "merged-usr/essential00.sh");
    assertTrue(essentialGate < secondGate && secondGate < mergedUsrEssentialHook,
        "the second gate runs before the merged-usr hook installs usr-is-merged: " + firstLog);
  }

  private static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(part)) {
        return i;
      }
    }
    throw new AssertionError("no line with " + part + ": " + lines);
  }

  /**
   * A bootstrap whose mirror hands out other bytes for a file mmdebstrap needs after its essential phase: the fetch
   * fails while mmdebstrap runs, mmdebstrap stops at its gate, and the build fails as an integrity failure naming the
   * file, not as mmdebstrap's; nothing of it is installed or cached.
   */
  @Test
  void aBootstrapWhoseMirrorServesOtherBytesStopsMmdebstrapAtItsGateAndNamesTheFile() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "mmdebstrap --mode=root");
    PackageSession fresh = session("tampering-bootstrap", first.cacheDir());
    try (TamperingDebRepo mirror = TamperingDebRepo.start()) {
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      PackageSession session = fromTamperingMirror(fresh, mirror, "base", lines);

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> driver.install(session, List.of("busybox-static", TamperingDebRepo.DEPENDENT)));

      assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains(TamperingDebRepo.debName(TamperingDebRepo.TAMPERED))
          && failure.getMessage().contains("Hash Sum mismatch"), failure.getMessage());
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("bootfarm: apt: could not fetch ")),
          "mmdebstrap's gate said why it stopped: " + lines);
      assertFalse(lines.stream().anyMatch(l -> l.contains("installing remaining packages")),
          "mmdebstrap went past its gate: " + lines);
      for (String name : List.of(TamperingDebRepo.TAMPERED, TamperingDebRepo.DEPENDENT)) {
        assertFalse(Files.exists(fresh.rootfs().resolve("usr/share/bootfarm").resolve(name)), name + " was installed");
        assertFalse(Files.exists(fresh.cacheDir().resolve("apt/archives").resolve(TamperingDebRepo.debName(name))),
            name + " reached the warm cache");
      }
      assertFalse(Files.exists(fresh.workDir().resolve("gates")), "the gates were left behind");
    }
  }

  @Test
  void imageCarriesNothingOfTheWorker() throws Exception {
    Path root = first.rootfs();
    List<String> uris = AptSourcesFile.read(AptDriver.defaultSources()).uris();
    try (Stream<Path> files = Files.walk(root.resolve("etc"))) {
      for (Path f : files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String uri : uris) {
          assertFalse(text.contains(uri), f + " names the worker's apt source " + uri);
        }
      }
    }
    assertFalse(Files.exists(root.resolve("etc/apt/apt.conf.d/99mmdebstrap")), "the worker's apt settings stay out");
    for (String hostFile : List.of("etc/hostname", "etc/resolv.conf")) {
      if (Files.isRegularFile(root.resolve(hostFile)) && Files.isReadable(Path.of("/", hostFile))) {
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(Path.of("/", hostFile)),
            Files.readAllBytes(root.resolve(hostFile))), hostFile + " copied from the worker");
      }
    }
    assertTrue(Files.isRegularFile(root.resolve("etc/dpkg/dpkg.cfg.d/99mmdebstrap")),
        "the path filters stay for later installs");
  }

  @Test
  void secondInstallIntoFreshRootDownloadsNothing() throws Exception {
    List<String> cacheBefore = children(first.cacheDir().resolve("apt/archives"));
    InstallReport report = secondRoot();
    assertEquals(0, report.downloaded(), "package files downloaded again: " + report);
    assertEquals(0, report.bytesDownloaded());
    int installed = driver.lock(second).packages().size();
    assertEquals(installed, report.fromCache(), "every installed package comes from the cache");
    assertEquals(cacheBefore, children(first.cacheDir().resolve("apt/archives")));
    assertFalse(children(first.cacheDir().resolve("apt/lists")).isEmpty(), "signed indices are cached too");
  }

  /**
   * An install right after a resolution takes the indices the resolution refreshed and verified, without a second
   * {@code apt-get update}, and the files the resolution listed, without asking apt's solver again; it installs
   * what the resolution named.
   */
  @Test
  void anInstallRightAfterItsResolutionTakesTheResolvedIndicesWithoutRefreshingThem() throws Exception {
    secondRoot();
    assertTrue(secondLog.stream().anyMatch(l -> l.startsWith("apt: the indices were refreshed from these sources")
        && l.endsWith("they are not refreshed again")), () -> String.join("\n", secondLog));
    assertFalse(secondLog.stream().anyMatch(l -> l.contains("InRelease")), () -> "an index fetched again:\n"
        + String.join("\n", secondLog));
    assertTrue(secondLog.stream().anyMatch(l -> l.startsWith("apt: the package files are the ones the resolution"
        + " listed for this request, 0 of ") && l.endsWith("apt's solver does not run again")),
        () -> "the warm cache holds every file, so nothing is listed or fetched:\n" + String.join("\n", secondLog));
    List<String> installed = asResolved(second);
    assertEquals(secondResolution, installed);
  }

  @Test
  void twoInstallsIntoDifferentDirectoriesGiveIdenticalTrees() throws Exception {
    secondRoot();
    List<String> a = listing(first.rootfs());
    List<String> b = listing(second.rootfs());
    assertTrue(a.size() > 1000, "a real root: " + a.size() + " entries");
    assertEquals(a, b);
  }

  @Test
  void lockListsBusyboxStaticWithTheSha256OfTheCachedPackageFile() throws Exception {
    Lock lock = driver.lock(first);
    assertEquals("mmdebstrap", lock.engine());
    LockedPackage busybox = lock.packages().stream().filter(p -> p.name().equals("busybox-static")).findFirst()
        .orElseThrow(() -> new AssertionError("busybox-static not in " + lock));
    assertEquals("amd64", busybox.arch());
    assertEquals(dpkgQuery(first.rootfs(), "busybox-static", "${Version}"), busybox.version());
    Path deb = first.cacheDir().resolve("apt/archives")
        .resolve("busybox-static_" + busybox.version().replace(":", "%3a") + "_amd64.deb");
    assertEquals(sha256Of(deb), busybox.sha256());
    assertEquals(firstArMemberMtime(deb), busybox.buildTime());
    assertTrue(busybox.buildTime() > 1_500_000_000L, "a plausible build time: " + busybox.buildTime());
    assertTrue(lock.packages().stream().anyMatch(p -> p.name().equals("dpkg")), "the essential set is locked too");
  }

  @Test
  void unknownPackageFailsNamingIt() throws Exception {
    PackageSession session = session("unknown", first.cacheDir());
    List<String> cacheBefore = children(first.cacheDir().resolve("apt/archives"));
    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> driver.install(session, List.of("busybox-static", "bootfarm-no-such-package")));
    record("failure", failure.getMessage());
    assertEquals(BuildFailure.Kind.PACKAGE, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains("'bootfarm-no-such-package'"), failure.getMessage());
    assertEquals(cacheBefore, children(first.cacheDir().resolve("apt/archives")), "nothing published");
  }

  /**
   * apt's resolution of the bootstrap, downloading and installing nothing, names exactly the package files the
   * bootstrap installed, each with the sha256 and the origin its lock records (docs/adr/0049); asked again with
   * nothing changed, the memo answers with the same lines and apt's solver does not run; a memo altered on disk is
   * not taken.
   */
  @Test
  void resolutionNamesExactlyWhatTheBootstrapInstalledAndIsRememberedWhileTheIndicesStay() throws Exception {
    Optional<List<String>> resolved = driver.resolve(session("resolve", first.cacheDir()), List.of(BASE));
    assertTrue(resolved.isPresent(), () -> "not resolved:\n" + String.join("\n", log));
    List<String> installed = asResolved(first);
    assertEquals(installed, resolved.get());
    long remembered = countLog("apt's solver does not run");
    assertEquals(resolved, driver.resolve(session("resolve-again", first.cacheDir()), List.of(BASE)));
    assertEquals(remembered + 1, countLog("apt's solver does not run"), () -> String.join("\n", log));

    List<Path> memos;
    try (Stream<Path> files = Files.list(first.cacheDir().resolve("apt/resolved"))) {
      memos = files.filter(f -> !f.getFileName().toString().contains(".uris-")).toList();
    }
    assertEquals(1, memos.size(), memos::toString);
    // beside it, the transaction's --print-uris lines, for the bootstrap of the same request: one per file
    assertEquals(resolved.get().size() - 1, AptResolver.savedListing(first.cacheDir(),
        memos.get(0).getFileName().toString(), 0).orElseThrow().size());
    String busybox = resolved.get().stream().filter(l -> l.startsWith("busybox-static ")).findFirst().orElseThrow();
    Files.writeString(memos.get(0), Files.readString(memos.get(0)).replace(busybox,
        busybox.replaceFirst(" sha256 [0-9a-f]{64} ", " sha256 " + "0".repeat(64) + " ")));
    assertEquals(resolved, driver.resolve(session("resolve-altered", first.cacheDir()), List.of(BASE)),
        "an altered memo is not taken: apt resolves again");
    assertEquals(remembered + 1, countLog("apt's solver does not run"), () -> String.join("\n", log));
  }

  /**
   * A package that does not resolve gives no resolution (the action cache is then not used and the build runs into
   * the install's own error), and the log says why; a name that is an option is refused as an install refuses it.
   */
  @Test
  void packageThatDoesNotResolveGivesNoResolutionAndSaysWhy() throws Exception {
    Optional<List<String>> resolved = driver.resolve(session("resolve-unknown", first.cacheDir()),
        List.of(List.of("busybox-static", "bootfarm-no-such-package")));
    assertEquals(Optional.empty(), resolved);
    assertTrue(log.stream().anyMatch(l -> l.startsWith("apt could not resolve") && l.contains("bootfarm-no-such-package")),
        () -> String.join("\n", log));
    BuildFailure failure = assertThrows(BuildFailure.class, () -> driver.resolve(session("resolve-option",
        first.cacheDir()), List.of(List.of("busybox-static", "-oDir::Etc=/tmp"))));
    assertEquals(BuildFailure.Kind.PACKAGE, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains("'-oDir::Etc=/tmp'"), failure.getMessage());
  }

  private long countLog(String text) {
    synchronized (log) {
      return log.stream().filter(l -> l.contains(text)).count();
    }
  }

  @Test
  void unreachableSourceFailsNamingIt() throws Exception {
    Path sources = Files.writeString(dir.resolve("unreachable.list"),
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://127.0.0.1:9/debian bookworm main\n");
    Path cache = dir.resolve("unreachable-cache");
    PackageSession session = new PackageSession(definition, dir.resolve("unreachable-root"), cache,
        dir.resolve("unreachable-work"), Optional.of(sources), SOURCE_DATE_EPOCH, "base", this::record);
    BuildFailure failure = assertThrows(BuildFailure.class, () -> driver.install(session, BASE));
    record("failure", failure.getMessage());
    assertEquals(BuildFailure.Kind.NETWORK, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains("http://127.0.0.1:9/debian"), failure.getMessage());
    assertEquals(List.of(), children(cache.resolve("apt/archives")));
    assertEquals(List.of(), children(cache.resolve("apt/lists")));
  }

  @Test
  void runScriptInstallsIntoAnExistingRootAndRemovesAgain() throws Exception {
    PackageSession own = ownRoot("run-script");
    Path root = own.rootfs();
    driver.runScript(own, "install cpio");
    assertTrue(Files.isExecutable(root.resolve("usr/bin/cpio")));
    assertTrue(driver.lock(own).packages().stream().anyMatch(p -> p.name().equals("cpio")));
    assertEquals(List.of(), children(root.resolve("var/cache/apt/archives")));
    assertFalse(Files.exists(root.resolve("usr/sbin/policy-rc.d")), "the temporary policy-rc.d is gone");

    driver.runScript(own, "remove cpio");
    assertFalse(Files.exists(root.resolve("usr/bin/cpio")));
    assertTrue(driver.lock(own).packages().stream().noneMatch(p -> p.name().equals("cpio")));

    driver.runScript(own, "remove busybox-static");
    assertFalse(Files.exists(root.resolve("bin/busybox")));

    // a package with a service: installed, configured, but not started on the worker
    driver.runScript(own, "install haveged");
    assertTrue(Files.isExecutable(root.resolve("usr/sbin/haveged")));
    assertEquals(List.of(), processesRunningFrom(root), "a service of the image was started on the worker");
    driver.runScript(own, "purge haveged");
  }

  private static List<String> processesRunningFrom(Path root) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          Path exe = Files.readSymbolicLink(proc.resolve("exe"));
          if (exe.startsWith(root)) {
            found.add(proc.getFileName() + " " + exe);
          }
        } catch (IOException | SecurityException e) {
          // process gone or not ours to read
        }
      }
    }
    return found;
  }

  /**
   * apt takes a package file already in the archives directory on its size alone. A same-size file whose
   * bytes differ from what the signed index states, left in the root's archives (by a hook, or by an earlier
   * run), must be neither installed nor cached: the driver empties the root's apt directories before a run,
   * so apt is offered only the verified cache and fetches what it lacks.
   */
  @Test
  void samesizedTamperedPackageFileLeftInTheRootIsNeitherInstalledNorCached() throws Exception {
    PackageSession own = ownRoot("tampered-in-root");
    driver.runScript(own, "install cpio"); // cpio into the cache
    driver.runScript(own, "purge cpio");
    Path cached = cachedCpio();
    byte[] genuine = Files.readAllBytes(cached);
    Files.delete(cached);
    Path planted = own.rootfs().resolve("var/cache/apt/archives").resolve(cached.getFileName());
    Files.createDirectories(planted.getParent());
    Files.write(planted, tampered(genuine));

    driver.runScript(own, "install cpio");

    assertTrue(Files.isExecutable(own.rootfs().resolve("usr/bin/cpio")));
    assertArrayEquals(genuine, Files.readAllBytes(cachedCpio()), "the cache holds the genuine file, fetched again");
    assertFalse(Files.exists(planted), "the tampered file was left in the image");
  }

  /** A cache entry that went bad on disk after it was published is caught, reported, and evicted. */
  @Test
  void corruptedCacheEntryFailsIntegrityAndIsEvicted() throws Exception {
    PackageSession own = ownRoot("corrupted-cache");
    driver.runScript(own, "install cpio"); // cpio into the cache
    driver.runScript(own, "purge cpio");
    Path cached = cachedCpio();
    Files.write(cached, tampered(Files.readAllBytes(cached)));

    BuildFailure failure = assertThrows(BuildFailure.class, () -> driver.runScript(own, "install cpio"));
    record("failure", failure.getMessage());
    assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains(cached.toString()), failure.getMessage());
    assertFalse(Files.exists(cached), "the bad cache entry is evicted so the next build fetches it again");
    driver.runScript(own, "purge cpio");
  }

  @Test
  void stagingScriptWithUnknownCommandIsADefinitionError() throws Exception {
    BuildFailure failure = assertThrows(BuildFailure.class, () -> driver.runScript(first, "frobnicate kmod"));
    record("failure", failure.getMessage());
    assertEquals(BuildFailure.Kind.DEFINITION, failure.kind());
    assertTrue(failure.getMessage().contains("frobnicate"), failure.getMessage());
  }

  @Test
  void cleanImageLeavesNoneOfThePackageManagersLeftovers() throws Exception {
    PackageSession own = ownRoot("clean-image");
    Path root = own.rootfs();
    // what apt, dpkg, ldconfig and a bootstrap leave when they run in an image
    for (String file : List.of("var/cache/apt/pkgcache.bin", "var/cache/apt/archives/x_1_amd64.deb",
        "var/lib/apt/lists/some_Packages", "var/log/dpkg.log", "var/log/apt/history.log", "var/log/apt/term.log",
        "var/log/alternatives.log", "var/log/bootstrap.log", "var/cache/ldconfig/aux-cache",
        "var/lib/dpkg/status-old", "var/lib/dpkg/diversions-old")) {
      Files.createDirectories(root.resolve(file).getParent());
      Files.writeString(root.resolve(file), "leftover\n");
    }
    Files.writeString(root.resolve("etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
    for (String hostFile : List.of("etc/hostname", "etc/resolv.conf")) {
      if (Files.isReadable(Path.of("/", hostFile))) {
        Files.write(root.resolve(hostFile), Files.readAllBytes(Path.of("/", hostFile)));
      }
    }

    driver.cleanImage(own, true);

    for (String gone : List.of("var/cache/apt/pkgcache.bin", "var/cache/apt/archives", "var/lib/apt/lists/some_Packages",
        "var/log/dpkg.log", "var/log/apt/history.log", "var/log/apt/term.log", "var/log/alternatives.log",
        "var/log/bootstrap.log", "var/cache/ldconfig/aux-cache", "var/lib/dpkg/status-old",
        "var/lib/dpkg/diversions-old", "etc/hostname", "etc/resolv.conf")) {
      assertFalse(Files.exists(root.resolve(gone), LinkOption.NOFOLLOW_LINKS), gone + " left in the image");
    }
    assertEquals(0, Files.size(root.resolve("etc/machine-id")), "machine-id is emptied, not removed");
    assertTrue(Files.isRegularFile(root.resolve("var/lib/dpkg/status")), "the database is kept");
    assertTrue(Files.isExecutable(root.resolve("bin/kmod")), "nothing installed is touched");

    driver.cleanImage(own, false);
    assertFalse(Files.exists(root.resolve("var/lib/dpkg")), "without keepDatabase the dpkg database goes");
  }

  @Test
  void onlyTheDownloadPhaseHasTheNetworkAndOnlyTheInstallPhaseCapabilitiesProcAndDevices() throws Exception {
    AptSourcesFile sources = AptSourcesFile.read(AptDriver.defaultSources());
    Sandbox download = driver.sandbox(first, sources, AptDriver.Phase.DOWNLOAD, null);
    Sandbox install = driver.sandbox(first, sources, AptDriver.Phase.INSTALL, null);

    assertEquals(Sandbox.Network.HOST, download.network());
    assertEquals(java.util.Set.of(), download.capabilities());
    List<String> downloadCommand = download.command(List.of("true"));
    assertFalse(downloadCommand.contains("--dev-bind") || downloadCommand.contains("--proc") && downloadCommand
        .contains(first.rootfs().resolve("proc").toString()), "devices or /proc in the download phase");
    assertEquals(Sandbox.Network.NONE, install.network());
    assertEquals(AptDriver.INSTALL_CAPABILITIES, install.capabilities());
    List<String> installCommand = install.command(List.of("true"));
    assertTrue(installCommand.contains("--dev-bind") && installCommand.contains(first.rootfs().resolve("proc").toString()));
  }

  /**
   * A package whose postinst (bootfarm-probe, chrooted into the root by dpkg) escapes the chroot and
   * tries the host's /etc, /root, /etc/shadow, the warm cache, 127.0.0.1 and a device node: each is
   * refused, the canaries are unchanged. Without the sandbox the same program writes the host's /etc
   * (docs/field-notes.md, "Sandboxes").
   */
  @Test
  void maintainerScriptThatEscapesTheChrootFindsNothingOfTheHostAndNoNetwork() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "dpkg chroots into the root only as root");
    PackageSession own = ownRoot("escape-probe");
    try (HostileDebRepo hostile = HostileDebRepo.start();
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        HostCanaries canaries = new HostCanaries()) {
      PackageSession session = withHostileRepo(own, hostile);
      Path hostEtc = Path.of("/etc", HostCanaries.uniqueName());
      Path rootSecret = canaries.plant(Path.of("/root", HostCanaries.uniqueName()));
      Path warmCache = own.cacheDir().resolve("apt/archives").resolve(HostCanaries.uniqueName());
      new EscapeProbe().connect(listener.getLocalPort()).device(1, 3)
          .read(rootSecret).read(Path.of("/etc/shadow"))
          .write(hostEtc).write(warmCache)
          .writeInto(own.rootfs());

      driver.runScript(session, "install " + EscapeProbe.PACKAGE);

      List<String> reports = EscapeProbe.reports(log);
      assertEquals(Optional.of("OK"), EscapeProbe.outcome(log, "chroot escape"),
          "the postinst ran and left dpkg's chroot (into the sandbox): " + reports);
      for (String attempt : List.of("connect 127.0.0.1:" + listener.getLocalPort(), "mknod /bootfarm-probe-disk b 1:3",
          "read " + rootSecret, "read /etc/shadow", "write " + hostEtc, "write " + warmCache)) {
        assertTrue(EscapeProbe.outcome(log, attempt).orElse("not tried").startsWith("refused: "),
            attempt + " not refused: " + reports);
      }
      listener.setSoTimeout(100); // a connection it made would be waiting in the backlog by now
      assertThrows(SocketTimeoutException.class, listener::accept, "the postinst reached 127.0.0.1");
      assertFalse(Files.exists(hostEtc), "the postinst wrote the host's /etc");
      assertFalse(Files.exists(warmCache), "the postinst wrote into the warm cache");
      canaries.assertNoSecretIn("the build log", String.join("\n", log));
      canaries.assertUntouched();
      assertTrue(Files.isExecutable(own.rootfs().resolve("usr/bin/" + EscapeProbe.PACKAGE)), "installed anyway");
    }
  }

  /**
   * A package script writes what apt leaves in the root while it runs (docs/adr/0066): the package files of the warm
   * cache are hard links there, the indices copies. It appends a forged package to every index, overwrites bytes of
   * cpio's cached file in place, and gives another cached file a second name in the image (a link the worker's own
   * steps or a later hook could write through). The run fails as an integrity failure naming cpio, cpio's file leaves
   * the cache, no cached index holds the forged package, and the cache's copy of the linked file is a new inode with
   * the same bytes, which the image's second name no longer reaches.
   */
  @Test
  void aPackageScriptWritingAptsFilesInTheRootPoisonsNeitherTheCachedIndicesNorThePackageFiles() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "dpkg chroots into the root only as root");
    PackageSession own = ownRootAndCache("cache-writer");
    driver.runScript(own, "install cpio"); // cpio into this test's own cache
    driver.runScript(own, "purge cpio");
    Path archives = own.cacheDir().resolve("apt/archives");
    Path cpio = cached(archives, "cpio_");
    Path kept = cached(archives, "libc6_");
    byte[] keptBytes = Files.readAllBytes(kept);
    try (HostileDebRepo hostile = HostileDebRepo.start()) {
      PackageSession session = withHostileRepo(own, hostile);
      HostileDebRepo.orderCacheWriter(own.rootfs(), "LISTS=yes\nTAMPER='cpio_*.deb'\nLINK=" + kept.getFileName() + "\n");

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> driver.runScript(session, "install " + HostileDebRepo.CACHE_WRITER));

      assertTrue(log.stream().anyMatch(l -> l.startsWith("bootfarm-cache-writer: wrote ")), "the script ran: " + log);
      assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains(cpio.getFileName().toString()), failure.getMessage());
      assertTrue(log.stream().anyMatch(l -> l.startsWith("apt: removed from the warm cache")), "logged: " + log);
    }
    assertFalse(Files.exists(cpio), "cpio's file, changed in the root, is still in the cache");
    assertNoForgedIndex(own.cacheDir());
    Path secondName = own.rootfs().resolve("etc/bootfarm-second-name");
    assertTrue(Files.isRegularFile(secondName, LinkOption.NOFOLLOW_LINKS), "the script linked the file");
    assertFalse(Files.isSameFile(secondName, kept), "a name in the image still reaches the cache's file");
    assertArrayEquals(keptBytes, Files.readAllBytes(kept));
  }

  /**
   * After the run the root's indices are the package scripts' to write: a link among them to a host FIFO would hang
   * a worker that read them, and a forged index would vouch for any file. The harvest checks against the indices
   * read before the run and never reads the root's again; the run ends, the hostile package's file is cached as the
   * signed index states it, and no cached index holds the forged package.
   */
  @Test
  void theHarvestReadsNoIndexAPackageScriptLeftInTheRoot() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "dpkg chroots into the root only as root");
    PackageSession own = ownRootAndCache("lists-writer");
    Path fifo = dir.resolve("host-fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertEquals(0, mkfifo.waitFor());
    try (HostileDebRepo hostile = HostileDebRepo.start()) {
      PackageSession session = withHostileRepo(own, hostile);
      HostileDebRepo.orderCacheWriter(own.rootfs(), "LISTS=yes\nFIFO=" + fifo + "\n");

      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(5),
          () -> driver.runScript(session, "install " + HostileDebRepo.CACHE_WRITER));

      assertTrue(log.stream().anyMatch(l -> l.startsWith("bootfarm-cache-writer: linked " + fifo)), "ran: " + log);
      // harvested: checked against the index read before the run, and cached
      cached(own.cacheDir().resolve("apt/archives"), HostileDebRepo.CACHE_WRITER + "_");
    } finally {
      // a reader stuck on the FIFO gets its end of file
      new ProcessBuilder("sh", "-c", "exec 3<>'" + fifo + "'; exec 3>&-").start().waitFor();
    }
    assertNoForgedIndex(own.cacheDir());
  }

  /**
   * A mirror (or a proxy) that hands out other bytes than its signed index states, on one of the connections the
   * package files are fetched on (docs/adr/0059): the run fails as an integrity failure naming the file, nothing of
   * the transaction is installed, and neither file reaches the root's archives or the warm cache.
   */
  @Test
  void aMirrorServingOtherBytesThanItsSignedIndexStatesIsRefusedAndNothingIsInstalledOrCached() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "dpkg chroots into the root only as root");
    PackageSession own = ownRoot("tampering-mirror");
    try (TamperingDebRepo mirror = TamperingDebRepo.start()) {
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      PackageSession session = fromTamperingMirror(own, mirror, "staging", lines);

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> driver.runScript(session, "install " + TamperingDebRepo.DEPENDENT));

      assertTrue(lines.stream().anyMatch(l -> l.startsWith("apt: fetching 2 package files") && l.endsWith(" on 2 connections")),
          "fetched on two connections: " + lines);
      assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains(TamperingDebRepo.debName(TamperingDebRepo.TAMPERED))
          && failure.getMessage().contains("Hash Sum mismatch"), failure.getMessage());
      assertEquals(1, mirror.fetches(TamperingDebRepo.debName(TamperingDebRepo.TAMPERED)), "fetched once");
      for (String name : List.of(TamperingDebRepo.TAMPERED, TamperingDebRepo.DEPENDENT)) {
        assertFalse(Files.exists(own.rootfs().resolve("usr/share/bootfarm").resolve(name)), name + " was installed");
        assertFalse(Files.exists(own.rootfs().resolve("var/cache/apt/archives").resolve(TamperingDebRepo.debName(name))),
            name + " is in the root's archives");
        assertFalse(Files.exists(own.cacheDir().resolve("apt/archives").resolve(TamperingDebRepo.debName(name))),
            name + " reached the warm cache");
      }
    }
  }

  @Test
  void sandboxShowsOnlyKeyringsFromKeyringDirectoriesOrTheDefinition() throws Exception {
    try (HostCanaries canaries = new HostCanaries()) {
      Path secret = canaries.plant(Path.of("/root", HostCanaries.uniqueName() + ".gpg"));
      Path beside = Files.writeString(definition.directory().resolve("archive.gpg"), "key\n");
      Path linkOut = definition.directory().resolve("linked.gpg");
      Files.deleteIfExists(linkOut);
      Files.createSymbolicLink(linkOut, secret);
      Path debian = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
      Path sources = Files.writeString(dir.resolve("keys.list"), String.join("\n",
          "deb [signed-by=" + debian + "] http://127.0.0.1:9/debian bookworm main",
          "deb [signed-by=" + secret + "] http://127.0.0.1:9/a bookworm main",
          "deb [signed-by=" + beside + "," + linkOut + "] http://127.0.0.1:9/b bookworm main", ""));

      List<Path> shown = AptDriver.signedByFiles(first, AptSourcesFile.read(sources)).stream().map(k -> k[1]).toList();

      List<Path> expected = new ArrayList<>(List.of(beside));
      if (Files.isRegularFile(debian)) {
        expected.add(0, debian);
      }
      assertEquals(expected.stream().sorted().toList(), shown.stream().sorted().toList(),
          "a key in /root, or a link beside the definition to it, must stay invisible");
      Files.delete(linkOut);
      Files.delete(beside);
    }
  }

  @Test
  void defaultSourcesPrefersDebiansDeb822FileAndOtherwiseTheClassicList() throws Exception {
    Path etc = Files.createDirectories(Files.createTempDirectory("etc-apt").resolve("apt"));
    BuildFailure none = assertThrows(BuildFailure.class, () -> AptDriver.defaultSources(etc));
    assertTrue(none.getMessage().contains(etc.resolve("sources.list.d/debian.sources").toString()), none.getMessage());
    assertTrue(none.getMessage().contains(etc.resolve("sources.list").toString()), none.getMessage());

    Path list = Files.writeString(etc.resolve("sources.list"), "deb http://127.0.0.1/debian bookworm main\n");
    assertEquals(list, AptDriver.defaultSources(etc));
    Files.createDirectories(etc.resolve("sources.list.d"));
    Files.writeString(etc.resolve("sources.list.d/thirdparty.sources"), "Types: deb\nURIs: http://127.0.0.1/x\nSuites: y\n");
    assertEquals(list, AptDriver.defaultSources(etc), "third-party files are never picked");
    Path deb822 = Files.writeString(etc.resolve("sources.list.d/debian.sources"),
        "Types: deb\nURIs: http://127.0.0.1/debian\nSuites: bookworm\nComponents: main\n");
    assertEquals(deb822, AptDriver.defaultSources(etc));
  }

  @Test
  @EnabledIfSystemProperty(named = "bootfarm.apt.measure", matches = "true")
  void measureColdAndWarmDebian12PackageSet() throws Exception {
    List<String> packages = List.of("busybox-static", "kmod", "iptables", "haveged", "linux-image-cloud-amd64");
    Path cache = dir.resolve("measure-cache");
    for (String run : List.of("cold", "warm")) {
      PackageSession session = new PackageSession(definition, dir.resolve("measure-" + run), cache,
          dir.resolve("measure-work-" + run), Optional.empty(), SOURCE_DATE_EPOCH, "base", this::record);
      long start = System.nanoTime();
      InstallReport report = driver.install(session, packages);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("MEASURE %s: %.1f s, %s%n", run, seconds, report);
      assertTrue(Files.isDirectory(session.rootfs().resolve("lib/modules")));
    }
  }

  // ---------------------------------------------------------------- fixtures

  /**
   * What {@code session}'s root installed, in the form of a one-transaction resolution ({@code transaction 0}, then
   * {@code name version arch sha256 HEX origin REPOSITORY URL} sorted), written out here rather than by the
   * resolver's own code, so the comparison checks its form too.
   */
  private List<String> asResolved(PackageSession session) throws BuildFailure {
    List<String> installed = new ArrayList<>(List.of("transaction 0"));
    driver.lock(session).packages().stream().map(p -> p.name() + " " + p.version() + " " + p.arch() + " sha256 "
        + p.sha256() + " origin " + (p.origin() == null ? "unknown" : p.origin().repository() + " " + p.origin().url()))
        .sorted().forEach(installed::add);
    return installed;
  }

  /**
   * The second root, installed once, as a build installs: resolved first (which refreshes the indices), then
   * installed into a fresh root with the same warm cache. What the install logged is {@link #secondLog}.
   */
  private InstallReport secondRoot() throws Exception {
    if (second == null) {
      secondResolution = driver.resolve(session("second-resolve", first.cacheDir()), List.of(BASE)).orElseThrow();
      second = session("second", first.cacheDir());
      plantBaseShFile(second.rootfs());
      int before = log.size();
      secondReport = driver.install(second, BASE);
      secondLog = List.copyOf(log.subList(before, log.size()));
    }
    return secondReport;
  }

  /**
   * A root of its own for a test that changes it: a copy ({@code cp -a}) of the first root, which is what an
   * install of the same packages into another directory gives ({@link #twoInstallsIntoDifferentDirectoriesGiveIdenticalTrees}),
   * without another bootstrap. The shared roots stay as {@link #bootstrapOneRootCold} and {@link #secondRoot}
   * left them, whatever ran before.
   */
  /**
   * A copy of this worker's deb822 sources with a fixture repository's stanza appended, its key copied beside the
   * definition as {@code keyName} (where the driver shows keys); skips the test on a worker whose sources are not
   * deb822.
   */
  private Path workerSourcesWith(Path key, String keyName, java.util.function.Function<Path, String> stanza)
      throws IOException, BuildFailure {
    Path worker = AptDriver.defaultSources();
    assumeTrue(worker.getFileName().toString().endsWith(".sources"), "this worker's sources are deb822");
    Path shown = Files.copy(key, definition.directory().resolve(keyName), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return Files.writeString(dir.resolve("with-" + keyName + ".sources"), Files.readString(worker) + "\n"
        + stanza.apply(shown));
  }

  /** {@code root}'s session with this worker's sources and {@code mirror}'s, in {@code stage}, its lines kept in {@code lines}. */
  private PackageSession fromTamperingMirror(PackageSession root, TamperingDebRepo mirror, String stage,
      List<String> lines) throws IOException, BuildFailure {
    Path sources = workerSourcesWith(mirror.key(), "bootfarm-tampering.asc", mirror::sourcesStanza);
    return new PackageSession(definition, root.rootfs(), root.cacheDir(), root.workDir(), Optional.of(sources),
        SOURCE_DATE_EPOCH, stage, (s, text) -> {
          lines.add(text);
          record(s, text);
        });
  }

  private PackageSession ownRoot(String name) throws Exception {
    PackageSession session = session(name, first.cacheDir());
    Process copy = new ProcessBuilder("cp", "-a", "--", first.rootfs().toString(), session.rootfs().toString())
        .redirectErrorStream(true).start();
    String output = new String(copy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, copy.waitFor(), () -> "cp -a " + first.rootfs() + " " + session.rootfs() + ": " + output);
    return session;
  }

  /** A bootstrapped root as {@link #ownRoot}, with a copy of the shared warm cache of its own. */
  private PackageSession ownRootAndCache(String name) throws Exception {
    Path cache = dir.resolve("cache-" + name);
    Process copy = new ProcessBuilder("cp", "-a", "--", first.cacheDir().toString(), cache.toString())
        .redirectErrorStream(true).start();
    String output = new String(copy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, copy.waitFor(), () -> "cp -a " + first.cacheDir() + " " + cache + ": " + output);
    PackageSession shared = ownRoot(name);
    return new PackageSession(definition, shared.rootfs(), cache, shared.workDir(), Optional.empty(),
        SOURCE_DATE_EPOCH, "base", this::record);
  }

  /** {@code root}'s session in staging with this worker's sources and {@code hostile}'s. */
  private PackageSession withHostileRepo(PackageSession root, HostileDebRepo hostile) throws Exception {
    Path sources = workerSourcesWith(HostileDebRepo.key(), "bootfarm-fixture.asc", hostile::sourcesStanza);
    return new PackageSession(definition, root.rootfs(), root.cacheDir(), root.workDir(), Optional.of(sources),
        SOURCE_DATE_EPOCH, "staging", this::record);
  }

  /** The file in {@code archives} whose name starts with {@code prefix}. */
  private static Path cached(Path archives, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(archives)) {
      return files.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + prefix + "* in " + archives));
    }
  }

  /** No index of {@code cacheDir}'s lists names the package {@link HostileDebRepo#CACHE_WRITER} forges. */
  private static void assertNoForgedIndex(Path cacheDir) throws IOException {
    try (Stream<Path> lists = Files.list(cacheDir.resolve("apt/lists"))) {
      for (Path list : lists.filter(Files::isRegularFile).toList()) {
        assertFalse(Files.readString(list, StandardCharsets.ISO_8859_1).contains("Package: " + HostileDebRepo.FORGED),
            list + " in the cache holds the forged package");
      }
    }
  }

  private Path cachedCpio() throws IOException {
    try (Stream<Path> files = Files.list(first.cacheDir().resolve("apt/archives"))) {
      return files.filter(f -> f.getFileName().toString().startsWith("cpio_")).findFirst()
          .orElseThrow(() -> new AssertionError("cpio was cached by this test's install"));
    }
  }

  /** The same bytes with the debian-binary member's mtime changed: dpkg ignores it, the sha256 does not. */
  private static byte[] tampered(byte[] deb) {
    byte[] bytes = deb.clone();
    bytes[8 + 16] = (byte) (bytes[8 + 16] == '1' ? '2' : '1');
    return bytes;
  }

  private PackageSession session(String name, Path cache) {
    return new PackageSession(definition, dir.resolve("root-" + name), cache, dir.resolve("work-" + name),
        Optional.empty(), SOURCE_DATE_EPOCH, "base", this::record);
  }

  private void record(String stage, String text) {
    log.add(text);
    System.out.println("[" + stage + "] " + text);
  }

  private static void plantBaseShFile(Path root) throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/base-sh-was-here"), "from base.sh\n");
  }

  private static RepoDefinition definition(Path directory) throws IOException {
    Files.createDirectories(directory);
    Files.writeString(directory.resolve("repo-spec.json"), """
        {
          "name": "debian-test",
          "packagemanager": "apt",
          "kernel": "linux-image-cloud-amd64",
          "init": "/bin/init",
          "packages": { "base": "busybox-static kmod", "bootstrap": "" }
        }
        """);
    Path init = Files.writeString(directory.resolve("init.sh"), "drivers=()\n");
    RepoSpec spec = new RepoSpec("debian-test", "apt", "/bin/init", "linux-image-cloud-amd64",
        Map.of("base", "busybox-static kmod", "bootstrap", ""), Map.of());
    return new RepoDefinition(directory, spec, List.of(), List.of(), Optional.empty(), init, Optional.empty(),
        Optional.empty());
  }

  private static List<String> children(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> !n.equals("partial") && !n.equals("lock"))
          .sorted().toList();
    }
  }

  /** Every entry under root: path, type, permissions, owner, and the link target or the file's sha256. */
  private static List<String> listing(Path root) throws Exception {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted().toList()) {
        String rel = root.relativize(p).toString();
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        String what;
        if (Files.isSymbolicLink(p)) {
          what = "-> " + Files.readSymbolicLink(p);
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          what = sha256Of(p);
        } else {
          what = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : "special";
        }
        lines.add(rel + " " + Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":" + a.get("gid")
            + " " + what);
      }
    }
    return lines;
  }

  private static String sha256Of(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update(Files.readAllBytes(file));
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The debian-binary member's mtime as commons-compress reads it: an independent ar parser. */
  private static long firstArMemberMtime(Path deb) throws IOException {
    try (InputStream in = Files.newInputStream(deb); ArArchiveInputStream ar = new ArArchiveInputStream(in)) {
      ArArchiveEntry entry = ar.getNextEntry();
      assertEquals("debian-binary", entry.getName());
      return entry.getLastModified();
    }
  }

  private static String dpkgQuery(Path root, String pkg, String format) throws Exception {
    Process p = new ProcessBuilder("dpkg-query", "--admindir=" + root.resolve("var/lib/dpkg"), "-W", "-f", format, pkg)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor());
    return out.trim();
  }
}
