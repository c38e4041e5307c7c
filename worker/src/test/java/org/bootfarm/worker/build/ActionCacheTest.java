package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.StageRecord;
import org.bootfarm.worker.fixture.ExampleComponents;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.pkg.PinnedInputs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The action cache against a fixture yum repository of the test's own (real dnf, real builds): a second build
 * of the same definition is served from the cache with the same bytes and says from which build; a tampered
 * entry is removed, not served; once the repository publishes a newer release of an installed package the next
 * build runs (and installs it); {@code --no-cache} and a rebuild from a record never use the cache.
 */
@Tag("tool")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ActionCacheTest {
  private FixtureYumRepo repo;
  private Path dir;
  private Path definition;
  private Path cache;
  private final Map<String, StringBuilder> logs = new java.util.TreeMap<>();
  private final Map<String, BuildResult> results = new java.util.TreeMap<>();
  private String newerRelease;
  /** The sha256 of the base stage archive the action cache served to "archives-again". */
  private String servedBaseArchive;
  /** The sha256 of the first build's ISO, taken before the stored copy is tampered with. */
  private String firstIso;
  private boolean firstIsoLinkedIntoStore;

  @BeforeAll
  void buildFirstAgainTamperedUpdatedAndWithoutCache(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    repo = FixtureYumRepo.startOwnCopy();
    definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    cache = dir.resolve("cache");
    Files.createDirectories(dir.resolve("keys"));
    build("first", true);
    build("again", true);
    build("archives", true, true, "archives");
    build("archives-again", true, true, "archives-again");
    servedBaseArchive = Sha256.of(dir.resolve("archives-again-out/stages/base.tar.gz"));
    // a build that runs, into the out directory of one that published stage archives: they are not this build's
    build("archives-then-none", false, false, "archives-again");
    firstIso = sha256Of("first", iso());
    Path storedIso = cache.resolve("actions/files").resolve(firstIso);
    // the build hashed its ISO when it wrote it: the store holds the published file itself, not a copy
    firstIsoLinkedIntoStore = Files.isSameFile(storedIso, dir.resolve("first-out").resolve(iso()));
    byte[] bytes = Files.readAllBytes(storedIso);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(storedIso, bytes);
    build("tampered", true);
    build("no-cache", false);
    newerRelease = repo.publishNewerRelease("haveged");
    build("updated", true);
    build("updated-again", true);
  }

  @AfterAll
  void stopRepository() {
    repo.close();
  }

  @Test
  void secondBuildIsServedFromTheCacheWithTheSameBytes() throws IOException {
    BuildResult first = results.get("first");
    BuildResult again = results.get("again");
    assertTrue(first.succeeded(), () -> first.error() + "\n" + logs.get("first"));
    assertNull(first.cachedFrom(), "the first build found an empty cache");
    assertTrue(again.succeeded(), () -> again.error() + "\n" + logs.get("again"));
    assertEquals("buildinfo:" + sha256Of("first", "buildinfo.json"), again.cachedFrom(), logs.get("again")::toString);
    assertEquals(first.artifacts(), again.artifacts());
    assertEquals(firstIso, Sha256.of(dir.resolve("again-out").resolve(iso())));
    assertTrue(firstIsoLinkedIntoStore, "the action cache copied the ISO the build had just hashed");
    assertEquals(Files.readString(dir.resolve("first-out/buildinfo.json")),
        Files.readString(dir.resolve("again-out/buildinfo.json")));
    assertFalse(Files.exists(dir.resolve("first-out/stages/base.tar.gz")), "a stage archive nothing reads");
    assertTrue(logs.get("first").toString().contains("hashing the stage tree (no archive"), logs.get("first")::toString);
    assertFalse(Files.exists(dir.resolve("again-out/stages/base.tar.gz")));
    assertTrue(again.stages().stream().allMatch(s -> Boolean.TRUE.equals(s.cached())), again.stages()::toString);
    assertEquals(first.stages().stream().map(s -> s.name() + " " + s.sha256()).toList(),
        again.stages().stream().map(s -> s.name() + " " + s.sha256()).toList());
    assertFalse(logs.get("again").toString().contains("installing "), logs.get("again")::toString);
    assertTrue(logs.get("again").toString().contains("no stage ran"), logs.get("again")::toString);
  }

  @Test
  void aBuildThatPublishesStageArchivesIsServedOnlyByAnEntryHoldingThem() throws Exception {
    BuildResult archives = results.get("archives");
    String log = logs.get("archives").toString();
    assertTrue(archives.succeeded(), () -> archives.error() + "\n" + log);
    assertNull(archives.cachedFrom(), log);
    assertTrue(log.contains("holds no stage archives, which this build publishes; the build runs"), log);
    assertEquals(results.get("first").stages().stream().map(s -> s.name() + " " + s.sha256()).toList(),
        archives.stages().stream().map(s -> s.name() + " " + s.sha256()).toList());
    for (StageRecord stage : archives.stages()) {
      if (!stage.name().equals("assemble")) {
        Path archive = dir.resolve("archives-out/stages/" + stage.name() + ".tar.gz");
        assertEquals(stage.sha256(), gunzippedSha256(archive), "a stage's sha256 is its archive's tar's");
      }
    }
    assertEquals(firstIso, sha256Of("archives", iso()));

    BuildResult again = results.get("archives-again");
    assertEquals("buildinfo:" + sha256Of("archives", "buildinfo.json"), again.cachedFrom(),
        logs.get("archives-again")::toString);
    assertEquals(Sha256.of(dir.resolve("archives-out/stages/base.tar.gz")), servedBaseArchive);

    BuildResult none = results.get("archives-then-none");
    assertTrue(none.succeeded(), () -> none.error() + "\n" + logs.get("archives-then-none"));
    assertNull(none.cachedFrom());
    try (Stream<Path> left = Files.list(dir.resolve("archives-again-out/stages"))) {
      assertEquals(List.of(), left.toList(), "stage archives of another build were left beside the outputs");
    }
  }

  /** The sha256 of a gzip file's content, by gzip and sha256sum. */
  private static String gunzippedSha256(Path file) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", "gzip -dc \"$1\" | sha256sum", "-", file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out.split(" ")[0];
  }

  @Test
  void tamperedEntryIsRemovedAndNotServed() {
    BuildResult tampered = results.get("tampered");
    String log = logs.get("tampered").toString();
    assertTrue(tampered.succeeded(), () -> tampered.error() + "\n" + log);
    assertNull(tampered.cachedFrom(), log);
    assertTrue(log.contains("whose bytes hash to"), log);
    assertTrue(log.contains("removed, not served"), log);
    assertEquals(firstIso, sha256Of("tampered", iso()));
  }

  @Test
  void newerPackageInTheRepositoryMakesTheNextBuildRun() throws IOException {
    BuildResult updated = results.get("updated");
    String log = logs.get("updated").toString();
    assertTrue(updated.succeeded(), () -> updated.error() + "\n" + log);
    assertNull(updated.cachedFrom(), () -> "a build whose package set changed was served from the cache:\n" + log);
    assertTrue(log.contains("no entry for key"), log);
    assertTrue(Files.readString(dir.resolve("updated-out/buildinfo.json")).contains(newerRelease.split("-")[1]),
        "the build did not install haveged " + newerRelease);
    assertNotEquals(sha256Of("first", "buildinfo.json"), sha256Of("updated", "buildinfo.json"));
    assertEquals("buildinfo:" + sha256Of("updated", "buildinfo.json"), results.get("updated-again").cachedFrom(),
        logs.get("updated-again")::toString);
  }

  @Test
  void noCacheRunsEveryStageAndLeavesTheCacheAlone() {
    BuildResult noCache = results.get("no-cache");
    assertTrue(noCache.succeeded(), () -> noCache.error() + "\n" + logs.get("no-cache"));
    assertNull(noCache.cachedFrom());
    assertFalse(logs.get("no-cache").toString().contains("action cache"), logs.get("no-cache")::toString);
    assertTrue(noCache.stages().stream().map(StageRecord::cached).allMatch(c -> c == null || !c));
  }

  @Test
  void aRebuildFromARecordNeverUsesTheCache() {
    BuildRequest pinned = request("pinned", true).pinnedTo(new PinnedInputs(dir, List.of()), 1L);
    assertFalse(pinned.actionCache());
    assertFalse(pinned.withActionCache(true, "b-1").actionCache());
  }

  private void build(String name, boolean useCache) {
    build(name, useCache, false, name);
  }

  private void build(String name, boolean useCache, boolean stageArchives, String outName) {
    StringBuilder log = new StringBuilder();
    logs.put(name, log);
    long start = System.nanoTime();
    BuildRequest request = request(outName, useCache).withStageArchives(stageArchives);
    BuildResult result = new BuildEngine(PackageDrivers.standard()).run(request,
        (stage, text) -> log.append('[').append(stage).append("] ").append(text).append('\n'));
    System.out.printf("%s: %.1f s, cachedFrom %s%n", name, (System.nanoTime() - start) / 1e9, result.cachedFrom());
    results.put(name, result);
  }

  private BuildRequest request(String name, boolean useCache) {
    return new BuildRequest(definition, "bootstrap", Map.of("tether", ExampleComponents.of("tether"), "unpack",
        ExampleComponents.of("unpack")), dir.resolve(name + "-out"), cache, dir.resolve("keys"), false, Optional.empty(),
        OptionalLong.of(FixtureYumRepo.SOURCE_DATE_EPOCH), false).withActionCache(useCache, null);
  }

  /** The ISO's name, as the first build published it. */
  private String iso() {
    return results.get("first").artifacts().stream().map(ArtifactRecord::name).filter(n -> n.endsWith(".iso"))
        .findFirst().orElseThrow(() -> new AssertionError("no ISO:\n" + logs.get("first")));
  }

  private String sha256Of(String build, String file) {
    try {
      return Sha256.of(dir.resolve(build + "-out").resolve(file));
    } catch (IOException e) {
      throw new AssertionError("build " + build + " published no " + file + ":\n" + logs.get(build), e);
    }
  }
}
