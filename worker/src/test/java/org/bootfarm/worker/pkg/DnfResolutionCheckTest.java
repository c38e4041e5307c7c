package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dnf's resolution against what a real install of the same packages locked (docs/adr/0054), with real dnf and the
 * fixture yum repository: they match line for line, a kernel given as an RPM file (named by its file's sha256,
 * repository {@code @commandline}) and a package a staging script erased (a removal is still an input) included,
 * so such builds are stored; an install from an older base does not match and names the package.
 */
@Tag("tool")
class DnfResolutionCheckTest {
  private static FixtureYumRepo repo;
  private final DnfDriver driver = new DnfDriver();
  private final List<String> logLines = Collections.synchronizedList(new ArrayList<>());

  @TempDir Path dir;

  @BeforeAll
  static void startRepository() throws IOException {
    repo = FixtureYumRepo.startOwnCopy();
  }

  @AfterAll
  static void stopRepository() {
    repo.close();
  }

  @Test
  void anInstallLocksWhatDnfResolvedAndAStagingErasureIsStillAnInput() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    List<String> resolved = resolve(definition);
    PackageSession session = session(definition, "build");
    driver.install(session, basePlusKernel(definition));
    Lock installed = driver.lock(session);
    assertEquals(Optional.empty(), ResolutionCheck.mismatch(driver, resolved, installed), () -> resolved + "\n"
        + driver.asResolvedLines(installed) + "\n" + logLines);

    driver.runScript(session, "erase toybox");
    Lock last = driver.lock(session);
    Lock staged = last.withRemoved(PinnedSet.removed(List.of(installed), last));
    assertEquals(List.of("toybox"), staged.removed().stream().map(p -> p.name()).toList());
    assertEquals(Optional.empty(), ResolutionCheck.mismatch(driver, resolved, staged));
    assertTrue(ResolutionCheck.mismatch(driver, resolved, last).orElseThrow().contains("toybox"),
        "without its removals the lock lacks toybox");
  }

  @Test
  void aKernelGivenAsAnRpmFileIsNamedByItsSha256OnBothSides() throws Exception {
    RepoDefinition written = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    Path kernelFile = Files.copy(repo.packageFile("linux-esx"), Files.createDirectories(dir.resolve("kernels"))
        .resolve("linux-esx-4.19.0-1.ph2.x86_64.rpm"));
    RepoSpec spec = written.spec();
    RepoDefinition definition = new RepoDefinition(written.directory(),
        new RepoSpec(spec.name(), spec.packageManager(), spec.init(), kernelFile.toString(), spec.packages(),
            spec.stagingScripts()),
        written.repoFiles(), written.gpgKeys(), written.aptSources(), written.initScript(), written.baseHook(),
        written.stagingHook(), true, List.of("repo-spec.json kernel: " + kernelFile.getFileName()), List.of());
    List<String> resolved = resolve(definition);
    assertTrue(resolved.contains("linux-esx 4.19.0-1.ph2 x86_64 " + DnfResolver.COMMAND_LINE + " sha256 "
        + Sha256.of(kernelFile)), resolved::toString);
    PackageSession session = session(definition, "build");
    driver.install(session, basePlusKernel(definition));
    assertEquals(Optional.empty(), ResolutionCheck.mismatch(driver, resolved, driver.lock(session)));
  }

  @Test
  void anOlderBaseThanTheRepositoryNowPublishesDoesNotMatchAndIsNamed() throws Exception {
    RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    PackageSession session = session(definition, "old");
    driver.install(session, basePlusKernel(definition));
    Lock old = driver.lock(session);
    String newer = repo.publishNewerRelease("iptables");
    List<String> resolved = resolve(definition);
    String reason = ResolutionCheck.mismatch(driver, resolved, old).orElseThrow();
    assertTrue(reason.contains("resolved but not installed: iptables " + newer), reason);
    assertTrue(reason.contains("installed but not resolved: iptables "), reason);
  }

  private List<String> resolve(RepoDefinition definition) throws Exception {
    Path scratch = Files.createDirectories(dir.resolve("resolve-" + System.nanoTime()));
    PackageSession session = new PackageSession(definition, Files.createDirectories(scratch.resolve("root")),
        Files.createDirectories(dir.resolve("cache")), Files.createDirectories(scratch.resolve("pkg")),
        Optional.empty(), FixtureYumRepo.SOURCE_DATE_EPOCH, "build", log());
    return driver.resolve(session, List.of(basePlusKernel(definition)))
        .orElseThrow(() -> new AssertionError("dnf did not resolve:\n" + logLines));
  }

  private PackageSession session(RepoDefinition definition, String name) throws IOException {
    Path build = Files.createDirectories(dir.resolve(name));
    return new PackageSession(definition, Files.createDirectories(build.resolve("rootfs")),
        Files.createDirectories(dir.resolve("cache")), Files.createDirectories(build.resolve("work")),
        Optional.empty(), FixtureYumRepo.SOURCE_DATE_EPOCH, "base", log());
  }

  private BuildLog log() {
    return (stage, text) -> logLines.add(stage + ": " + text);
  }

  private static List<String> basePlusKernel(RepoDefinition definition) {
    List<String> packages = new ArrayList<>(definition.spec().packageList("base"));
    packages.add(definition.spec().kernel());
    return packages;
  }
}
