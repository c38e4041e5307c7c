package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dnf driver's side of archived inputs against the fixture yum repository: the origin of each locked
 * package, the files {@code packageFiles} names, and a pinned install from those files with the upstream gone.
 */
@Tag("tool")
class DnfDriverInputsTest {
  private final DnfDriver driver = new DnfDriver();
  private final List<String> logLines = Collections.synchronizedList(new ArrayList<>());

  @TempDir Path dir;

  @Test
  void lockNamesEachPackagesRepoIdAndUrlAndPackageFilesAreTheInstalledFiles() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      RepoDefinition definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      PackageSession session = session(definition, "build", dir.resolve("cache"), Optional.empty());
      driver.install(session, basePlusKernel(definition));

      Lock lock = driver.lock(session);
      assertEquals(6, lock.packages().size(), lock::toString);
      for (LockedPackage p : lock.packages()) {
        assertNotNull(p.origin(), () -> p.describe() + " has no origin");
        assertEquals("bootfarm-fixture", p.origin().repository());
        Path served = repo.packageFile(p.name());
        assertEquals(repo.baseUrl() + repo.directory().relativize(served).toString().replace('\\', '/'),
            p.origin().url());
        assertEquals(Sha256.of(served), p.sha256());
      }
      Map<String, Path> files = driver.packageFiles(session, lock);
      assertEquals(lock.packages().size(), files.size());
      for (LockedPackage p : lock.packages()) {
        assertEquals(p.sha256(), Sha256.of(files.get(p.sha256())));
        assertTrue(files.get(p.sha256()).startsWith(dir.resolve("cache")), "in the warm cache: " + files);
      }
    }
  }

  @Test
  void pinnedInstallReadsOnlyThePinnedFilesLocksTheSameSetAndLeavesTheWarmCacheAlone() throws Exception {
    Path cache = dir.resolve("cache");
    Lock original;
    RepoDefinition definition;
    PackageSession first;
    Path pinnedDir = Files.createDirectories(dir.resolve("pinned"));
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      first = session(definition, "first", cache, Optional.empty());
      driver.install(first, basePlusKernel(definition));
      original = driver.lock(first);
      for (Map.Entry<String, Path> e : driver.packageFiles(first, original).entrySet()) {
        Files.copy(e.getValue(), pinnedDir.resolve(e.getKey() + ".rpm"));
      }
    }
    Map<Path, String> cacheBefore = tree(cache);
    PinnedInputs pinned = new PinnedInputs(pinnedDir, original.packages());

    PackageSession rebuild = session(definition, "rebuild", cache, Optional.of(pinned));
    driver.install(rebuild, basePlusKernel(definition));
    Lock again = driver.lock(rebuild);

    assertEquals(original, again, "the same packages, sha256 and origins");
    assertEquals(cacheBefore, tree(cache), "the warm cache is as it was");
    Map<String, Path> files = driver.packageFiles(rebuild, again);
    again.packages().forEach(p -> assertEquals(pinned.file(p, ".rpm").toAbsolutePath(), files.get(p.sha256())));
    assertTrue(logLines.stream().noneMatch(l -> l.contains("Curl error")), "no network tried");

    driver.cleanImage(first, true);
    driver.cleanImage(rebuild, true);
    assertEquals(image(first.rootfs()), image(rebuild.rootfs()),
        "the same image, package database included: nothing of the local repository is in it");
  }

  @Test
  void pinnedInstallThatEndsWithAnotherSetNamesTheDifference() throws Exception {
    Path pinnedDir = Files.createDirectories(dir.resolve("pinned"));
    Lock original;
    RepoDefinition definition;
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      definition = FixtureDefinitions.create(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      PackageSession first = session(definition, "first", dir.resolve("cache"), Optional.empty());
      driver.install(first, basePlusKernel(definition));
      original = driver.lock(first);
      for (Map.Entry<String, Path> e : driver.packageFiles(first, original).entrySet()) {
        Files.copy(e.getValue(), pinnedDir.resolve(e.getKey() + ".rpm"));
      }
    }
    PinnedInputs pinned = new PinnedInputs(pinnedDir, original.packages());
    PackageSession rebuild = session(definition, "rebuild", dir.resolve("cache"), Optional.of(pinned));
    driver.install(rebuild, definition.spec().packageList("base")); // no kernel this time

    Lock partial = driver.lock(rebuild); // a part of the pinned set: what a staging may remove later
    BuildFailure failure = assertThrows(BuildFailure.class, () -> PinnedSet.exactly(partial, pinned));
    assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind());
    LockedPackage kernel = original.packages().stream().filter(p -> p.name().equals("linux-esx")).findFirst()
        .orElseThrow();
    assertTrue(failure.getMessage().contains(kernel.describe() + " (sha256 " + kernel.sha256()
        + ") is pinned but was never installed"), failure::getMessage);

    PackageSession missing = session(definition, "missing", dir.resolve("cache"), Optional.of(
        new PinnedInputs(pinnedDir, original.packages().stream().filter(p -> !p.name().equals("kmod")).toList())));
    BuildFailure notPinned = assertThrows(BuildFailure.class,
        () -> driver.install(missing, basePlusKernel(definition)));
    assertEquals(BuildFailure.Kind.PACKAGE, notPinned.kind());
    assertTrue(notPinned.getMessage().contains("kmod") && notPinned.getMessage().contains("pinned inputs"),
        notPinned::getMessage);
  }

  @Test
  void aRebuildOfADefinitionWhoseKeyIsGivenByUrlIsRefusedBeforeDnfRuns() throws Exception {
    String keyUrl = "http://127.0.0.1:9/" + FixtureYumRepo.SERVED_KEY;
    RepoDefinition definition = FixtureDefinitions.keyByUrl(dir.resolve("defs"), FixtureDefinitions.TDNF,
        "http://127.0.0.1:9/");
    PackageSession rebuild = session(definition, "rebuild", dir.resolve("cache"),
        Optional.of(new PinnedInputs(Files.createDirectories(dir.resolve("pinned")), List.of())));

    BuildFailure failure = assertThrows(BuildFailure.class, () -> driver.install(rebuild, List.of("toybox")));
    assertEquals(BuildFailure.Kind.DEFINITION, failure.kind());
    assertTrue(failure.getMessage().contains(keyUrl) && failure.getMessage().contains("gpgkey=file:"),
        failure::getMessage);
  }

  /** Every file under {@code root} (its lock file too) with its sha256. */
  private static Map<Path, String> tree(Path root) throws IOException {
    Map<Path, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p), Sha256.of(p));
      }
    }
    return files;
  }

  /** Every entry of an image: path to kind and content (files by sha256, links by target). */
  private static Map<String, String> image(Path root) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        String kind = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
            : Files.isDirectory(p) ? "dir" : Files.isRegularFile(p) ? "file " + Sha256.of(p) : "other";
        entries.put("/" + root.relativize(p), kind);
      }
    }
    return entries;
  }

  private PackageSession session(RepoDefinition definition, String name, Path cache, Optional<PinnedInputs> pinned)
      throws IOException {
    Path build = Files.createDirectories(dir.resolve(name));
    BuildLog log = (stage, text) -> logLines.add(stage + ": " + text);
    return new PackageSession(definition, Files.createDirectories(build.resolve("rootfs")),
        Files.createDirectories(cache), Files.createDirectories(build.resolve("work")), Optional.empty(),
        FixtureYumRepo.SOURCE_DATE_EPOCH, "base", log, pinned);
  }

  private static List<String> basePlusKernel(RepoDefinition definition) {
    List<String> packages = new ArrayList<>(definition.spec().packageList("base"));
    packages.add(definition.spec().kernel());
    return packages;
  }
}
