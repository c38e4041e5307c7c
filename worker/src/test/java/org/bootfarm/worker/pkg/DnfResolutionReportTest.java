package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a build takes from its resolution's dnf run instead of starting dnf again (docs/adr/0055), against what a
 * separate dnf answers: the buildinfo's dnf version (the Debian package's, ADR 0067, with the version the
 * resolution's dnf reported agreeing) and the lock's origins
 * ({@code repoquery --location}); and that a repository that changed after the resolution is asked again.
 */
@Tag("tool")
class DnfResolutionReportTest {
  private final DnfDriver driver = new DnfDriver();

  @TempDir Path dir;

  @Test
  void buildinfoRecordsTheVersionDnfItselfPrints() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      assertTrue(driver.resolve(session(definition, "resolve"), List.of(basePlusKernel(definition))).isPresent());

      assertTrue(driver.reportedVersion().isPresent(), "the resolution reported dnf's version");
      PackageDrivers drivers = new PackageDrivers(driver, new AptDriver());
      // named by its Debian package and full version (docs/adr/0067), asked of dpkg, not of a second dnf
      String packaged = ExternalCommand.output(List.of("dpkg-query", "-W", "-f=${Version}", "dnf"), Map.of()).get(0);
      assertEquals("dnf " + packaged, drivers.toolVersions(driver).get("dnf"));
      assertTrue(ExternalCommand.firstLine(List.of("dnf", "--version")).equals(driver.reportedVersion().get())
          || packaged.startsWith(driver.reportedVersion().get()), "the resolution's dnf is the packaged one");
    }
  }

  @Test
  void lockTakesTheOriginsRepoqueryNamesFromTheResolution() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      assertTrue(driver.resolve(session(definition, "resolve"), List.of(basePlusKernel(definition))).isPresent());
      PackageSession build = session(definition, "build");
      driver.install(build, basePlusKernel(definition));

      Lock lock = driver.lock(build);
      Map<String, Path> files = driver.packageFiles(build, lock);
      assertEquals(6, lock.packages().size());
      assertEquals(files.keySet(), DnfResolvedLocations.origins(DnfDriver.packageCache(build), files).keySet(),
          "every origin came from the resolution: no repoquery was needed");
      assertEquals(origins(lock), origins(askedOfDnf(build, lock, files)));
      assertTrue(origins(lock).stream().allMatch(o -> o.url().startsWith(repo.baseUrl())), origins(lock).toString());
    }
  }

  @Test
  void repositoryChangedAfterTheResolutionIsAskedAgain() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.startOwnCopy()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      assertTrue(driver.resolve(session(definition, "resolve"), List.of(basePlusKernel(definition))).isPresent());
      String newer = repo.publishNewerRelease("toybox");
      PackageSession build = session(definition, "build");
      driver.install(build, basePlusKernel(definition));

      Lock lock = driver.lock(build);
      Map<String, Path> files = driver.packageFiles(build, lock);
      assertEquals(Map.of(), DnfResolvedLocations.origins(DnfDriver.packageCache(build), files),
          "the metadata the resolution read is gone: none of its URLs is taken");
      assertEquals(origins(askedOfDnf(build, lock, files)), origins(lock));
      LockedPackage toybox = lock.packages().stream().filter(p -> p.name().equals("toybox")).findFirst().orElseThrow();
      assertEquals(newer, toybox.version());
      assertNotEquals(null, toybox.origin());
      assertTrue(toybox.origin().url().endsWith("toybox-" + newer + "." + toybox.arch() + ".rpm"), toybox.origin().url());
    }
  }

  /** {@code lock}'s origins as {@code repoquery --location} alone names them. */
  private Lock askedOfDnf(PackageSession session, Lock lock, Map<String, Path> files) throws Exception {
    Lock bare = new Lock(lock.engine(), lock.packages().stream().map(p -> p.withOrigin(null)).toList());
    return DnfOrigins.add(bare, files, DnfDriver.packageCache(session), Map.of(),
        new DnfLocationQuery(driver, session, driver.prepare(session)));
  }

  private static List<PackageOrigin> origins(Lock lock) {
    return lock.packages().stream().map(LockedPackage::origin).toList();
  }

  private PackageSession session(RepoDefinition definition, String name) throws IOException {
    Path build = Files.createDirectories(dir.resolve(name));
    return new PackageSession(definition, Files.createDirectories(build.resolve("rootfs")),
        Files.createDirectories(dir.resolve("cache")), Files.createDirectories(build.resolve("work")), Optional.empty(),
        FixtureYumRepo.SOURCE_DATE_EPOCH, "base", (stage, text) -> { });
  }

  private static List<String> basePlusKernel(RepoDefinition definition) {
    List<String> packages = new ArrayList<>(definition.spec().packageList("base"));
    packages.add(definition.spec().kernel());
    return packages;
  }
}
