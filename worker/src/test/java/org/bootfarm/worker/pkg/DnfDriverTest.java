package org.bootfarm.worker.pkg;

import org.bootfarm.worker.process.ExternalCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.fixture.HostCanaries;
import org.bootfarm.worker.fixture.YumRepoServer;
import org.bootfarm.sandbox.Sandbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dnf driver against the fixture yum repository: real dnf, rpm, createrepo_c and depmod. */
@Tag("tool")
class DnfDriverTest {

  private static final String PHOTON_KERNEL = "4.19.0-1.ph2-esx";
  private static final String CENTOS_KERNEL = "2.6.32-754.el6.x86_64";

  private static FixtureYumRepo repo;
  private final DnfDriver driver = new DnfDriver();
  private final List<String> logLines = Collections.synchronizedList(new ArrayList<>());

  @TempDir Path dir;

  @BeforeAll
  static void startRepository() throws IOException {
    repo = FixtureYumRepo.start();
  }

  @AfterAll
  static void stopRepository() {
    repo.close();
  }

  @Test
  void driverIsAvailableOnThisWorker() {
    assertEquals(Optional.empty(), driver.unavailableReason());
    assertEquals("dnf", driver.engine());
  }

  @Test
  void installsBasePackagesAndPhotonKernelWithModulesDepmodAccepts() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));

    InstallReport report = driver.install(session, basePlusKernel(definition));

    Path root = session.rootfs();
    for (String file : List.of("usr/bin/toybox", "usr/bin/kmod", "usr/sbin/haveged", "usr/sbin/iptables",
        "usr/lib64/libxtables.so.12", "boot/vmlinuz-" + PHOTON_KERNEL,
        "lib/modules/" + PHOTON_KERNEL + "/kernel/net/netfilter/xt_REDIRECT.ko.xz")) {
      assertTrue(Files.isRegularFile(root.resolve(file)), file + " installed");
    }
    assertEquals(6, report.downloaded(), "filesystem toybox kmod haveged iptables linux-esx fetched");
    assertEquals(0, report.fromCache());
    assertTrue(report.bytesDownloaded() > 0);
    assertTrue(logLines.stream().anyMatch(l -> l.contains("Installing") && l.contains("linux-esx")),
        "dnf's output streamed to the build log");
    assertEquals(List.of(
            "kernel/drivers/net/vmxnet3.ko.xz:",
            "kernel/net/netfilter/nf_nat.ko.xz:",
            "kernel/net/netfilter/xt_REDIRECT.ko.xz: kernel/net/netfilter/nf_nat.ko.xz"),
        depmod(root, PHOTON_KERNEL));
  }

  @Test
  void installsYumStyleDefinitionWithVersionedKernelAndPlainModules() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.YUM, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));

    driver.install(session, basePlusKernel(definition));
    driver.install(session, definition.spec().packageList("bootstrap"));

    Path root = session.rootfs();
    for (String file : List.of("bin/bash", "bin/ls", "etc/localtime", "sbin/depmod", "sbin/rngd", "sbin/udevd",
        "bin/mount", "usr/sbin/iptables", "boot/vmlinuz-" + CENTOS_KERNEL)) {
      assertTrue(Files.isRegularFile(root.resolve(file)), file + " installed");
    }
    assertEquals(List.of(
            "kernel/drivers/net/vmxnet3.ko:",
            "kernel/net/netfilter/nf_nat.ko:",
            "kernel/net/netfilter/xt_REDIRECT.ko: kernel/net/netfilter/nf_nat.ko"),
        depmod(root, CENTOS_KERNEL));
  }

  @Test
  void secondInstallIntoFreshRootDownloadsNothing() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Path cache = dir.resolve("cache");
    driver.install(session(definition, "first", cache), basePlusKernel(definition));
    repo.resetCounts();

    PackageSession second = session(definition, "second", cache);
    InstallReport report = driver.install(second, basePlusKernel(definition));

    assertEquals(0, report.downloaded());
    assertEquals(0, report.bytesDownloaded());
    assertEquals(6, report.fromCache());
    assertEquals(0, repo.rpmRequests(), "no .rpm requested from the server: " + repo.requestCounts());
    assertEquals(Set.of("/repodata/repomd.xml"), repo.requestCounts().keySet(),
        "only the freshness check of the metadata");
    assertTrue(Files.isRegularFile(second.rootfs().resolve("boot/vmlinuz-" + PHOTON_KERNEL)));
  }

  /**
   * The metadata is checked at every install although SOURCE_DATE_EPOCH (a past date) is "now" to libdnf
   * when it judges the metadata's age: a package taken out of the repository since the last build is
   * reported missing, not fetched by a stale index.
   */
  @Test
  void aRepositoryChangedSinceTheLastInstallIsSeenAtOnce() throws Exception {
    Path served = Files.createDirectories(dir.resolve("served"));
    for (Path rpm : YumRepoServer.rpms(repo.directory())) {
      Files.copy(rpm, served.resolve(rpm.getFileName()));
    }
    YumRepoServer.index(served);
    try (YumRepoServer changing = YumRepoServer.serve(served)) {
      RepoDefinition definition = FixtureDefinitions.definition(
          FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, changing.baseUrl()));
      Path cache = dir.resolve("cache");
      driver.install(session(definition, "first", cache), List.of("filesystem"));

      Files.delete(changing.packageFile("toybox"));
      YumRepoServer.index(served);
      BuildFailure missing = assertThrows(BuildFailure.class,
          () -> driver.install(session(definition, "second", cache), List.of("filesystem", "toybox")));

      assertEquals(BuildFailure.Kind.PACKAGE, missing.kind(), missing.getMessage());
      assertTrue(missing.getMessage().contains("toybox"), missing.getMessage());
    }
  }

  @Test
  void concurrentInstallsSharingOneCacheBothSucceed() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Path cache = dir.resolve("cache");
    PackageSession first = session(definition, "first", cache);
    PackageSession second = session(definition, "second", cache);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<InstallReport> a = pool.submit(() -> driver.install(first, basePlusKernel(definition)));
      Future<InstallReport> b = pool.submit(() -> driver.install(second, basePlusKernel(definition)));

      assertEquals(6, a.get().downloaded() + b.get().downloaded(), "each package fetched once between them");
      assertTrue(Files.isRegularFile(first.rootfs().resolve("usr/bin/toybox")));
      assertTrue(Files.isRegularFile(second.rootfs().resolve("usr/bin/toybox")));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void keyGivenByUrlIsFetchedInTheDownloadPhaseSoTheInstallWithoutNetworkVerifiesWithIt() throws Exception {
    String keyUrl = repo.baseUrl() + FixtureYumRepo.SERVED_KEY;
    RepoDefinition definition = FixtureDefinitions.keyByUrl(dir.resolve("defs"), FixtureDefinitions.TDNF,
        repo.baseUrl());
    assertEquals(List.of(), definition.gpgKeys(), "no key file: dnf must fetch " + keyUrl);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    repo.resetCounts();

    InstallReport report = driver.install(session, basePlusKernel(definition));

    assertEquals(6, report.downloaded());
    assertEquals(1, repo.requests("/" + FixtureYumRepo.SERVED_KEY), "the key is fetched once: " + repo.requestCounts());
    assertTrue(logLines.stream().anyMatch(l -> l.contains("Importing GPG key")), "dnf imported the key");
    assertTrue(Files.isRegularFile(session.rootfs().resolve("boot/vmlinuz-" + PHOTON_KERNEL)));
    assertEquals(6, driver.lock(session).packages().size(), "only packages in the lock, not the imported key");
  }

  @Test
  void onlyTheDownloadPhaseHasTheNetworkAndOnlyTheInstallPhaseCapabilitiesAndDevices() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    DnfDriver.DnfFiles files = driver.prepare(session);

    Sandbox download = driver.sandbox(session, files, DnfDriver.Phase.DOWNLOAD, List.of("install", "toybox"));
    Sandbox install = driver.sandbox(session, files, DnfDriver.Phase.INSTALL, List.of("install", "toybox"));

    assertEquals(Sandbox.Network.HOST, download.network());
    assertEquals(Set.of(), download.capabilities());
    assertFalse(download.command(List.of("true")).contains("--dev-bind"), "device nodes in the download phase");
    assertEquals(Sandbox.Network.NONE, install.network());
    assertEquals(DnfDriver.INSTALL_CAPABILITIES, install.capabilities());
    assertTrue(install.command(List.of("true")).contains("--dev-bind"));
    assertTrue(install.command(List.of("true")).contains("--unshare-net"));
  }

  @Test
  void aKeyFileThatLinksOutOfTheDefinitionIsNotShownToTheSandbox() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    DnfDriver.DnfFiles files = driver.prepare(session);
    Path key = definition.gpgKeys().get(0).file();
    assertTrue(String.join(" ", driver.sandbox(session, files, DnfDriver.Phase.INSTALL, List.of("install")).command(
        List.of("true"))).contains("--ro-bind " + key.toRealPath() + " " + key.toAbsolutePath()), "the key is shown");

    try (HostCanaries canaries = new HostCanaries()) {
      Path secret = canaries.plant(Path.of("/root", HostCanaries.uniqueName()));
      Files.delete(key);
      Files.createSymbolicLink(key, secret);
      for (DnfDriver.Phase phase : DnfDriver.Phase.values()) {
        List<String> command = driver.sandbox(session, files, phase, List.of("install")).command(List.of("true"));
        assertFalse(String.join(" ", command).contains(secret.toString()), phase + " shows " + secret);
      }
      Files.delete(key);
    }
  }

  @Test
  void repoFileKeyReferencesPointAtTheResolvedKeyFiles() {
    String repoFile = String.join("\n",
        "[photon]",
        "baseurl=https://packages.example/photon/$releasever",
        "gpgkey=file:///etc/pki/rpm-gpg/VMWARE-RPM-GPG-KEY, https://keys.example/OTHER",
        "   file:///etc/pki/rpm-gpg/SECOND-KEY",
        "gpgcheck=1",
        "");
    List<RepoDefinition.ResolvedKey> keys = List.of(
        new RepoDefinition.ResolvedKey("file:///etc/pki/rpm-gpg/VMWARE-RPM-GPG-KEY", Path.of("/keys/VMWARE-RPM-GPG-KEY")),
        new RepoDefinition.ResolvedKey("file:///etc/pki/rpm-gpg/SECOND-KEY", Path.of("/defs/photon/SECOND-KEY")));

    assertEquals(String.join("\n",
            "[photon]",
            "baseurl=https://packages.example/photon/$releasever",
            "gpgkey=file:///keys/VMWARE-RPM-GPG-KEY, https://keys.example/OTHER",
            "   file:///defs/photon/SECOND-KEY",
            "gpgcheck=1",
            ""),
        DnfDriver.rewriteKeys(repoFile, keys));
  }

  @Test
  void releaseVersionComesFromTheDefinitionName() {
    assertEquals("2.0", DnfDriver.releaseVersion(spec("photon-2.0")));
    assertEquals("6.9", DnfDriver.releaseVersion(spec("centos-6.9")));
    assertEquals("0", DnfDriver.releaseVersion(spec("fixture-tdnf")));
  }

  private static RepoSpec spec(String name) {
    return new RepoSpec(name, "tdnf", "/bin/init", "linux-esx", Map.of("base", "filesystem"), Map.of());
  }

  @Test
  void lockListsExactPackagesWithSha256OfTheirFiles() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    driver.install(session, basePlusKernel(definition));

    Lock lock = driver.lock(session);

    assertEquals("dnf", lock.engine());
    assertEquals(List.of("filesystem", "haveged", "iptables", "kmod", "linux-esx", "toybox"),
        lock.packages().stream().map(LockedPackage::name).toList(), "no gpg-pubkey, nothing else");
    for (LockedPackage p : lock.packages()) {
      assertEquals(sha256(repo.packageFile(p.name())), p.sha256(), p.name() + " sha256");
      assertEquals(FixtureYumRepo.SOURCE_DATE_EPOCH, p.buildTime(), p.name() + " build time");
    }
    LockedPackage kernel = lock.packages().get(4);
    assertEquals("4.19.0-1.ph2", kernel.version());
    assertEquals("x86_64", kernel.arch());
    assertEquals("noarch", lock.packages().get(0).arch());
    assertEquals(FixtureYumRepo.SOURCE_DATE_EPOCH, lock.newestBuildTime());
  }

  @Test
  void kernelGivenAsRpmFileInstallsFromThatFile() throws Exception {
    RepoDefinition written = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Path kernelFile = Files.copy(repo.packageFile("linux-esx"), Files.createDirectories(dir.resolve("kernels"))
        .resolve("linux-esx-4.19.0-1.ph2.x86_64.rpm"));
    RepoSpec spec = written.spec();
    // as the loader gives it once the operator allowed the definition unsigned: dnf checks no file's signature
    RepoDefinition definition = new RepoDefinition(written.directory(),
        new RepoSpec(spec.name(), spec.packageManager(), spec.init(), kernelFile.toString(), spec.packages(),
            spec.stagingScripts()),
        written.repoFiles(), written.gpgKeys(), written.aptSources(), written.initScript(), written.baseHook(),
        written.stagingHook(), true, List.of("repo-spec.json kernel: " + kernelFile.getFileName()), List.of());
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    repo.resetCounts();

    InstallReport report = driver.install(session, basePlusKernel(definition));

    assertTrue(Files.isRegularFile(session.rootfs().resolve("boot/vmlinuz-" + PHOTON_KERNEL)));
    assertEquals(5, report.downloaded(), "the kernel came from its file, not the repository");
    assertEquals(0, repo.requests("/" + repo.packageFile("linux-esx").getFileName()));
    LockedPackage kernel = driver.lock(session).packages().stream()
        .filter(p -> p.name().equals("linux-esx")).findFirst().orElseThrow();
    assertEquals(sha256(kernelFile), kernel.sha256());
  }

  @Test
  void eraseScriptRemovesToybox() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    driver.install(session, basePlusKernel(definition));
    assertTrue(Files.exists(session.rootfs().resolve("usr/bin/toybox")));

    driver.runScript(session, definition.spec().stagingScript("appliance"));

    assertFalse(Files.exists(session.rootfs().resolve("usr/bin/toybox")));
    assertFalse(driver.lock(session).packages().stream().anyMatch(p -> p.name().equals("toybox")));
    assertTrue(Files.exists(session.rootfs().resolve("usr/sbin/haveged")), "only toybox erased");
  }

  @Test
  void scriptThatIsNotAPackageCommandIsRejectedNamingTheField() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> driver.runScript(session, "erase --installroot=/ toybox"));

    assertEquals(BuildFailure.Kind.DEFINITION, failure.kind());
    assertTrue(failure.getMessage().contains("packages_script_staging"), failure.getMessage());
  }

  @Test
  void unknownPackageFailsNamingIt() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> driver.install(session, List.of("filesystem", "no-such-package")));

    assertEquals(BuildFailure.Kind.PACKAGE, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains("no-such-package"), failure.getMessage());
    assertEquals(List.of(), cachedRpms(dir.resolve("cache")));
  }

  @Test
  void unreachableRepositoryFailsNamingUrl() throws Exception {
    String url = FixtureYumRepo.unreachableUrl();
    RepoDefinition definition = FixtureDefinitions.definition(
        FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, url));
    PackageSession session = session(definition, "build", dir.resolve("cache"));

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> driver.install(session, basePlusKernel(definition)));

    assertEquals(BuildFailure.Kind.NETWORK, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains(url), failure.getMessage());
    assertEquals(List.of(), cachedRpms(dir.resolve("cache")));
  }

  @Test
  void checksumMismatchFailsAndLeavesNothingInCache() throws Exception {
    try (FixtureYumRepo corrupt = FixtureYumRepo.start(FixtureYumRepo.Variant.CORRUPT_PACKAGE)) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, corrupt);
      PackageSession session = session(definition, "build", dir.resolve("cache"));

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> driver.install(session, basePlusKernel(definition)));

      assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains("package " + FixtureYumRepo.DAMAGED_PACKAGE + " "), failure.getMessage());
      assertTrue(corrupt.requests("/" + corrupt.packageFile(FixtureYumRepo.DAMAGED_PACKAGE).getFileName()) > 0,
          "the corrupt file was really fetched");
      assertEquals(List.of(), cachedRpms(dir.resolve("cache")));
    }
  }

  @Test
  void unsignedPackageFailsWithGpgcheck() throws Exception {
    try (FixtureYumRepo unsigned = FixtureYumRepo.start(FixtureYumRepo.Variant.UNSIGNED_PACKAGE)) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, unsigned);
      PackageSession session = session(definition, "build", dir.resolve("cache"));

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> driver.install(session, basePlusKernel(definition)));

      assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains("package " + FixtureYumRepo.DAMAGED_PACKAGE + " "), failure.getMessage());
      assertEquals(List.of(), cachedRpms(dir.resolve("cache")));
      assertFalse(Files.exists(session.rootfs().resolve("usr/sbin/haveged")), "nothing of it installed");
    }
  }

  /**
   * The fixture tdnf definition with {@code gpgcheck=0}, served by a repository whose haveged is unsigned,
   * handed to the driver as the loader would never hand it: not allowed unsigned.
   */
  private RepoDefinition gpgcheckOffDefinition(FixtureYumRepo served, boolean allowed) throws IOException {
    RepoDefinition written = FixtureDefinitions.create(dir.resolve("defs-" + allowed), FixtureDefinitions.TDNF,
        served);
    Path repoFile = written.repoFiles().get(0);
    Files.writeString(repoFile, Files.readString(repoFile).replace("gpgcheck=1", "gpgcheck=0"));
    return new RepoDefinition(written.directory(), written.spec(), written.repoFiles(), written.gpgKeys(),
        written.aptSources(), written.initScript(), written.baseHook(), written.stagingHook(), allowed,
        allowed ? List.of("fixture.repo [bootfarm-fixture]: gpgcheck=0") : List.of(), List.of());
  }

  @Test
  void driverChecksSignaturesOfADefinitionNotAllowedUnsignedWhateverItsRepoFileSays() throws Exception {
    try (FixtureYumRepo unsigned = FixtureYumRepo.start(FixtureYumRepo.Variant.UNSIGNED_PACKAGE)) {
      RepoDefinition definition = gpgcheckOffDefinition(unsigned, false);
      PackageSession session = session(definition, "build", dir.resolve("cache"));

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> driver.install(session, basePlusKernel(definition)));

      assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains("package " + FixtureYumRepo.DAMAGED_PACKAGE + " "), failure.getMessage());
      assertFalse(Files.exists(session.rootfs().resolve("usr/sbin/haveged")), "nothing of it installed");
      assertTrue(Files.readString(session.workDir().resolve("dnf/dnf.conf")).contains("localpkg_gpgcheck=1\n"));
      assertTrue(driver.dnfCommand(session, driver.prepare(session), List.of()).contains("--setopt=*.gpgcheck=1"));
    }
  }

  @Test
  void aDefinitionAllowedUnsignedInstallsItsUncheckedPackages() throws Exception {
    try (FixtureYumRepo unsigned = FixtureYumRepo.start(FixtureYumRepo.Variant.UNSIGNED_PACKAGE)) {
      RepoDefinition definition = gpgcheckOffDefinition(unsigned, true);
      PackageSession session = session(definition, "build", dir.resolve("cache"));

      driver.install(session, basePlusKernel(definition));

      assertTrue(Files.isRegularFile(session.rootfs().resolve("usr/sbin/haveged")));
      assertFalse(driver.dnfCommand(session, driver.prepare(session), List.of()).contains("--setopt=*.gpgcheck=1"));
    }
  }

  @Test
  void aPackageNameThatReadsAsAnOptionIsRefusedBeforeDnfRuns() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> driver.install(session, List.of("filesystem", "--nogpgcheck")));

    assertEquals(BuildFailure.Kind.DEFINITION, failure.kind());
    assertTrue(failure.getMessage().contains("'--nogpgcheck' is not a package name"), failure.getMessage());
    assertFalse(Files.exists(session.rootfs().resolve("usr")), "dnf did not run");
  }

  @Test
  void cleanImageRemovesDnfLeftovers() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Path cache = dir.resolve("cache");
    PackageSession session = session(definition, "build", cache);
    driver.install(session, basePlusKernel(definition));
    Path root = session.rootfs();
    Path cacheInsideRoot = root.resolve(DnfDriver.packageCache(session).toString().substring(1));
    assertTrue(Files.exists(root.resolve("var/log/dnf.log")), "dnf left its log, as docs/field-notes.md says");
    assertTrue(Files.exists(cacheInsideRoot), "dnf recreated its cachedir inside the root");
    Set<String> owned = Set.copyOf(ExternalCommand.output(List.of("rpm", "--root", root.toString(),
        "--dbpath", DnfDriver.RPM_DBPATH, "-qal"), Map.of()));

    driver.cleanImage(session, false);

    List<String> unowned;
    try (Stream<Path> paths = Files.walk(root)) {
      unowned = paths.filter(p -> !p.equals(root)).map(p -> "/" + root.relativize(p))
          .filter(p -> !owned.contains(p)).sorted().toList();
    }
    assertEquals(List.of(), unowned, "only what the packages own is left");

    for (String gone : List.of("var/log/dnf.log", "var/log/dnf.rpm.log", "var/log/dnf.librepo.log",
        "var/log/hawkey.log", "var/lib/dnf", "var/lib/rpm", "var/cache/dnf", "etc/dnf")) {
      assertFalse(Files.exists(root.resolve(gone)), gone + " removed");
    }
    assertFalse(Files.exists(cacheInsideRoot), "the cachedir copy inside the root removed");
    Path firstCreated = root.resolve(dir.toString().substring(1));
    assertFalse(Files.exists(firstCreated), "and the directories dnf made for it: " + firstCreated);
    assertTrue(Files.isDirectory(root.resolve("tmp")), "/tmp is the filesystem package's and stays");
    assertTrue(Files.isDirectory(root.resolve("var/log")), "/var/log is the filesystem package's and stays");
    assertTrue(Files.isRegularFile(root.resolve("usr/bin/toybox")), "the packages' files stay");
  }

  @Test
  void oneRpmQueryOfManyPathsNamesTheOwnersThatAQueryPerPathNames() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    driver.install(session, basePlusKernel(definition));
    Path root = session.rootfs();
    Files.createDirectories(root.resolve("var/cache/made-by-dnf/deeper"));
    List<String> paths = List.of("/var/cache/made-by-dnf/deeper", "/var/cache/made-by-dnf", "/var/log", "/tmp",
        "/usr/bin/toybox", "/not-there");
    Set<String> perPath = new java.util.HashSet<>();
    for (String path : paths) {
      if (ExternalCommand.run(List.of("rpm", "--root", root.toString(), "--dbpath", DnfDriver.RPM_DBPATH, "-qf", path),
          Map.of(), null, line -> {}).succeeded()) {
        perPath.add(path);
      }
    }

    Set<String> owned = RpmOwners.owned(Sandbox.confined().writable(root), root.toString(), DnfDriver.RPM_DBPATH,
        paths, Map.of("LC_ALL", "C"));

    assertEquals(perPath, owned);
    assertEquals(Set.of("/var/log", "/tmp", "/usr/bin/toybox"), owned, "the filesystem and toybox packages'");
  }

  @Test
  void cleanImageKeepingDatabaseLeavesAWorkingRpmdbWithoutLocksOrHistory() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "build", dir.resolve("cache"));
    driver.install(session, basePlusKernel(definition));
    Path root = session.rootfs();

    driver.cleanImage(session, true);

    assertTrue(Files.isRegularFile(root.resolve("var/lib/rpm/rpmdb.sqlite")));
    for (String gone : List.of("var/lib/rpm/.rpm.lock", "var/lib/rpm/rpmdb.sqlite-shm",
        "var/lib/dnf/history.sqlite", "var/lib/dnf/history.sqlite-wal", "var/log/dnf.log")) {
      assertFalse(Files.exists(root.resolve(gone)), gone + " removed");
    }
    assertEquals(6, driver.lock(session).packages().size(), "the database still answers");
  }

  private PackageSession session(RepoDefinition definition, String name, Path cache) throws IOException {
    Path build = Files.createDirectories(dir.resolve(name));
    BuildLog log = (stage, text) -> logLines.add(stage + ": " + text);
    return new PackageSession(definition, Files.createDirectories(build.resolve("rootfs")),
        Files.createDirectories(cache), Files.createDirectories(build.resolve("work")), Optional.empty(),
        FixtureYumRepo.SOURCE_DATE_EPOCH, "base", log);
  }

  private static List<String> basePlusKernel(RepoDefinition definition) {
    List<String> packages = new ArrayList<>(definition.spec().packageList("base"));
    packages.add(definition.spec().kernel());
    return packages;
  }

  private static List<String> depmod(Path root, String version) throws IOException {
    ExternalCommand.output(List.of("depmod", "-b", root.toString(), version), Map.of());
    return Files.readAllLines(root.resolve("lib/modules/" + version + "/modules.dep")).stream().sorted().toList();
  }

  private static List<Path> cachedRpms(Path cache) throws IOException {
    if (!Files.exists(cache)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(cache)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".rpm")).toList();
    }
  }

  private static String sha256(Path file) throws Exception {
    assertNotNull(file);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
