package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a base install takes what its build's resolution fetched, and when it downloads as before (docs/adr/0058),
 * with real dnf, bubblewrap and the fixture yum repository: a fetch is taken by the same build's install of the
 * fetched packages; a fetched file that is gone makes the install download it in a phase of its own and succeed;
 * another build's install, and a definition whose key is given by URL, download as before. Each install's rpm
 * database is byte for byte that of an install without a fetch.
 */
@Tag("tool")
class DnfPrefetchTest {
  private static final String TAKEN = "no download phase";
  private static final String NOT_FETCHED = "a file the install needs was not fetched; downloading as usual";
  private final DnfDriver driver = new DnfDriver();
  private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final BuildLog log = (stage, text) -> lines.add(text);

  @TempDir Path dir;

  @Test
  void theSameBuildsInstallTakesTheFetchAndDownloadsNothingItself() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.startOwnCopy()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      fetch(definition, log);
      repo.resetCounts();

      InstallReport report = driver.install(session(definition, "build", log), basePlusKernel(definition));

      assertTrue(lines.stream().anyMatch(l -> l.contains(TAKEN)), String.join("\n", lines));
      assertEquals(0, repo.requestCounts().values().stream().mapToInt(Integer::intValue).sum(),
          "the install asked the repository nothing: " + repo.requestCounts());
      assertEquals(6, report.downloaded(), "the fetch's files count as this install's downloads");
      assertRpmDatabaseOfAPlainInstall(definition, dir.resolve("build/rootfs"));
    }
  }

  @Test
  void aFetchedFileThatIsGoneIsDownloadedInAPhaseOfItsOwn() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.startOwnCopy()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      fetch(definition, log);
      Path toybox = packageFile("toybox-");
      Files.delete(toybox);

      PackageSession build = session(definition, "build", log);
      driver.install(build, basePlusKernel(definition));

      assertTrue(lines.stream().anyMatch(l -> l.contains(NOT_FETCHED)), String.join("\n", lines));
      assertTrue(Files.isRegularFile(toybox), "downloaded again");
      assertEquals(6, driver.lock(build).packages().size());
      assertTrue(Files.isRegularFile(build.rootfs().resolve("usr/bin/toybox")));
      assertRpmDatabaseOfAPlainInstall(definition, build.rootfs());
    }
  }

  @Test
  void anotherBuildsInstallDownloadsAsBefore() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.startOwnCopy()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      fetch(definition, log);

      driver.install(session(definition, "other", (stage, text) -> lines.add(text)), basePlusKernel(definition));

      assertFalse(lines.stream().anyMatch(l -> l.contains(TAKEN)), String.join("\n", lines));
    }
  }

  @Test
  void aKeyGivenByUrlNeedsTheDownloadPhase() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.startOwnCopy()) {
      RepoDefinition definition = FixtureDefinitions.keyByUrl(dir.resolve("defs"), FixtureDefinitions.TDNF,
          repo.baseUrl());
      fetch(definition, log);
      repo.resetCounts();

      driver.install(session(definition, "build", log), basePlusKernel(definition));

      assertFalse(lines.stream().anyMatch(l -> l.contains(TAKEN)), String.join("\n", lines));
      assertEquals(1, repo.requests("/" + FixtureYumRepo.SERVED_KEY), "the download phase fetched the key");
    }
  }

  /** The resolution of {@code build}, told that the action cache has no entry: it fetches the base's files. */
  private void fetch(RepoDefinition definition, BuildLog build) throws Exception {
    Optional<List<String>> resolved = driver.resolve(session(definition, "resolve", build),
        List.of(basePlusKernel(definition)), lines -> true);
    assertTrue(resolved.isPresent());
    assertTrue(lines.stream().anyMatch(l -> l.contains("fetched the 6 package files")), String.join("\n", lines));
  }

  private Path packageFile(String prefix) throws IOException {
    try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".rpm"))
          .findFirst().orElseThrow();
    }
  }

  /** The rpm database under {@code rootfs} is byte for byte that of an install of the same packages without a fetch. */
  private void assertRpmDatabaseOfAPlainInstall(RepoDefinition definition, Path rootfs) throws Exception {
    PackageSession plain = session(definition, "plain", (stage, text) -> { });
    driver.install(plain, basePlusKernel(definition));
    assertArrayEquals(Files.readAllBytes(plain.rootfs().resolve("var/lib/rpm/rpmdb.sqlite")),
        Files.readAllBytes(rootfs.resolve("var/lib/rpm/rpmdb.sqlite")), "the rpm database of an install without a fetch");
  }

  private PackageSession session(RepoDefinition definition, String name, BuildLog build) throws IOException {
    Path root = Files.createDirectories(dir.resolve(name));
    return new PackageSession(definition, Files.createDirectories(root.resolve("rootfs")),
        Files.createDirectories(dir.resolve("cache")), Files.createDirectories(root.resolve("work")), Optional.empty(),
        FixtureYumRepo.SOURCE_DATE_EPOCH, "base", build);
  }

  private static List<String> basePlusKernel(RepoDefinition definition) {
    List<String> packages = new ArrayList<>(definition.spec().packageList("base"));
    packages.add(definition.spec().kernel());
    return packages;
  }
}
