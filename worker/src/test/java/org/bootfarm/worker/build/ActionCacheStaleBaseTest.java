package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.worker.fixture.ExampleComponents;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The action cache never stores a dnf build's outputs under a key naming other package files than the build
 * installed (docs/adr/0054), with real dnf, real builds and a fixture yum repository of the test's own: a cold
 * build with {@code --reuse-stages} stores and the next is served; once the repository publishes a newer haveged
 * (a package of {@code base}) beside the older, a build whose base comes from the stage cache still holds the older
 * one while its key names the newer: it runs, its outputs are not stored (the log names haveged), and the next
 * build with that key runs rather than being served the stale image.
 */
@Tag("tool")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ActionCacheStaleBaseTest {
  private static final Pattern KEY = Pattern.compile("action cache: key ([0-9a-f]{64})");
  private FixtureYumRepo repo;
  private Path dir;
  private Path definition;
  private Path cache;
  private final Map<String, StringBuilder> logs = new java.util.TreeMap<>();
  private final Map<String, BuildResult> results = new java.util.TreeMap<>();
  private String newerHaveged;
  /** Whether the stale-base build left an entry under its key (before the next build stores one there). */
  private boolean entryAfterStaleBase;

  @BeforeAll
  void buildColdAgainThenFromAStaleBaseThenCold(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    repo = FixtureYumRepo.startOwnCopy();
    definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    cache = dir.resolve("cache");
    Files.createDirectories(dir.resolve("keys"));
    build("cold", true);
    build("again", true);
    newerHaveged = repo.publishNewerRelease("haveged", true);
    build("stale-base", true);
    entryAfterStaleBase = Files.exists(entry(key("stale-base")));
    build("after", false);
  }

  @AfterAll
  void stopRepository() {
    repo.close();
  }

  @Test
  void aColdBuildStoresAndTheNextIsServed() throws IOException {
    assertSucceeded("cold");
    assertNull(results.get("cold").cachedFrom());
    assertTrue(log("cold").contains("action cache: stored the outputs under key " + key("cold")), log("cold"));
    assertTrue(Files.isRegularFile(entry(key("cold"))));
    assertSucceeded("again");
    assertEquals(key("cold"), key("again"));
    assertNotNull(results.get("again").cachedFrom(), log("again"));
  }

  @Test
  void aBuildFromAStaleBaseRunsAndItsOutputsAreNotStored() throws IOException {
    assertSucceeded("stale-base");
    String log = log("stale-base");
    assertNull(results.get("stale-base").cachedFrom(), log);
    assertTrue(log.contains("stage cache: base from cache"), log);
    assertNotEquals(key("cold"), key("stale-base"), "the key names the newer haveged");
    assertNotEquals(newerHaveged, haveged("stale-base"), "the base from the stage cache holds the older haveged");
    assertTrue(log.contains("action cache: outputs not stored under key " + key("stale-base")), log);
    assertTrue(log.contains("resolved but not installed: haveged " + newerHaveged), log);
    assertTrue(log.contains("installed but not resolved: haveged " + haveged("stale-base")), log);
    assertFalse(entryAfterStaleBase, "an entry under the key naming the newer haveged");
  }

  @Test
  void theNextBuildWithThatKeyRunsAndInstallsTheNewerPackage() throws IOException {
    assertSucceeded("after");
    String log = log("after");
    assertEquals(key("stale-base"), key("after"));
    assertNull(results.get("after").cachedFrom(), () -> "served the stale base's outputs:\n" + log);
    assertEquals(newerHaveged, haveged("after"));
    assertTrue(log.contains("action cache: stored the outputs under key " + key("after")), log);
  }

  private void build(String name, boolean reuseStages) {
    StringBuilder log = new StringBuilder();
    logs.put(name, log);
    BuildRequest request = new BuildRequest(definition, "bootstrap", Map.of("tether", ExampleComponents.of("tether"), "unpack",
        ExampleComponents.of("unpack")), dir.resolve(name + "-out"), cache, dir.resolve("keys"), false, Optional.empty(),
        OptionalLong.of(FixtureYumRepo.SOURCE_DATE_EPOCH), false, null, reuseStages)
        .withActionCache(true, null);
    results.put(name, new BuildEngine(PackageDrivers.standard()).run(request,
        (stage, text) -> log.append('[').append(stage).append("] ").append(text).append('\n')));
    log.toString().lines().filter(l -> l.contains("action cache: ")).forEach(l -> System.out.println(name + ": " + l));
  }

  private void assertSucceeded(String name) {
    assertTrue(results.get(name).succeeded(), () -> results.get(name).error() + "\n" + log(name));
  }

  private String log(String name) {
    return logs.get(name).toString();
  }

  private String key(String name) {
    Matcher m = KEY.matcher(log(name));
    assertTrue(m.find(), () -> "build " + name + " logged no action-cache key:\n" + log(name));
    return m.group(1);
  }

  private Path entry(String key) {
    return cache.resolve("actions/entries").resolve(key + ".json");
  }

  /** The version-release of haveged in the build's buildinfo.json lock. */
  private String haveged(String name) throws IOException {
    var lock = new ObjectMapper().readTree(dir.resolve(name + "-out").resolve(BuildInfo.FILE_NAME).toFile())
        .path("lock").path("packages");
    for (var p : lock) {
      if (p.path("name").asText().equals("haveged")) {
        return p.path("version").asText();
      }
    }
    throw new AssertionError("no haveged in the lock of " + name);
  }
}
