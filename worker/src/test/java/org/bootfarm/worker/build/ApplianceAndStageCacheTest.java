package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.StageRecord;
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
 * The appliance target and the stage cache against the fixture yum repository (real dnf, real
 * archives, fast): a bootstrap and then an appliance of the same repo on one worker share one base
 * stage archive, the second restored from the cache and not run; an appliance built from scratch is
 * bit-identical to the one on the cached base and leaves the cache alone; a corrupt entry is discarded
 * and rebuilt; and the appliance's tree has its units, masked services, accounts and empty machine-id.
 */
@Tag("tool")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApplianceAndStageCacheTest {
  private FixtureYumRepo repo;
  private Path dir;
  private Path definition;
  private Path cache;
  private final StringBuilder bootstrapLog = new StringBuilder();
  private final StringBuilder applianceLog = new StringBuilder();
  private final StringBuilder scratchLog = new StringBuilder();
  private BuildResult bootstrap;
  private BuildResult appliance;
  private BuildResult scratch;
  private List<Path> entriesBeforeScratch;
  private FileTime entryTimeBeforeScratch;
  private Path applianceRoot;

  @BeforeAll
  void buildBootstrapThenApplianceThenApplianceFromScratch(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    repo = FixtureYumRepo.start();
    definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    cache = dir.resolve("cache");
    Files.createDirectories(dir.resolve("keys"));
    bootstrap = build("bootstrap", bootstrapComponents(), "bootstrap-out", true, false, bootstrapLog);
    appliance = build("appliance", applianceComponents(), "appliance-out", true, true, applianceLog);
    entriesBeforeScratch = baseEntries(cache);
    entryTimeBeforeScratch = Files.getLastModifiedTime(entriesBeforeScratch.get(0));
    scratch = build("appliance", applianceComponents(), "scratch-out", false, false, scratchLog);
    try (Stream<Path> builds = Files.list(cache.resolve("builds"))) {
      applianceRoot = builds.map(b -> b.resolve("stage/rootfs"))
          .filter(r -> Files.exists(r.resolve("etc/systemd/system/vic.target"))).findFirst().orElseThrow();
    }
  }

  @AfterAll
  void stopRepository() {
    repo.close();
  }

  @Test
  void bootstrapAndApplianceShareOneBaseStageArchive() throws IOException {
    assertTrue(bootstrap.succeeded(), () -> bootstrap.error() + "\n" + bootstrapLog);
    assertTrue(appliance.succeeded(), () -> appliance.error() + "\n" + applianceLog);
    StageRecord first = stage(bootstrap, "base");
    StageRecord second = stage(appliance, "base");
    assertEquals(first.sha256(), second.sha256());
    assertFalse(first.cached(), "the first build found a base in an empty cache");
    assertTrue(second.cached(), () -> "the appliance ran base again:\n" + applianceLog);
    assertTrue(applianceLog.toString().contains("stage cache: base from cache"), applianceLog::toString);
    assertFalse(applianceLog.toString().contains("installing "), () -> "base installed packages:\n" + applianceLog);
    assertEquals(1, entriesBeforeScratch.size(), entriesBeforeScratch::toString);
    assertTrue(entriesBeforeScratch.get(0).getFileName().toString().endsWith("-" + first.sha256() + ".tar.gz"));
    assertEquals(List.of("base", "staging-bootstrap", "assemble"), bootstrap.stages().stream().map(StageRecord::name).toList());
    assertEquals(List.of("base", "staging-appliance", "assemble"), appliance.stages().stream().map(StageRecord::name).toList());
    System.out.printf("base stage: %.1f s when it ran, %.1f s restored from the cache%n", first.seconds(),
        second.seconds());
  }

  @Test
  void applianceFromScratchIsBitIdenticalAndLeavesTheCacheAlone() throws IOException {
    assertTrue(scratch.succeeded(), () -> scratch.error() + "\n" + scratchLog);
    assertFalse(stage(scratch, "base").cached());
    assertEquals(appliance.stages().stream().map(s -> s.name() + " " + s.sha256()).toList(),
        scratch.stages().stream().map(s -> s.name() + " " + s.sha256()).toList());
    assertEquals(appliance.artifacts(), scratch.artifacts());
    assertEquals(List.of("appliance.iso", "buildinfo.json", "manifest.json"),
        scratch.artifacts().stream().map(a -> a.name()).toList());
    assertEquals(entriesBeforeScratch, baseEntries(cache));
    assertEquals(entryTimeBeforeScratch, Files.getLastModifiedTime(entriesBeforeScratch.get(0)));
    assertFalse(scratchLog.toString().contains("stage cache"), scratchLog::toString);
  }

  @Test
  void applianceTreeHasItsUnitsAccountsAndNoMachineId() throws IOException {
    Path units = applianceRoot.resolve("etc/systemd/system");
    assertEquals(Path.of("/etc/systemd/system/vic.target"), Files.readSymbolicLink(units.resolve("default.target")));
    for (String unit : List.of("systemd-networkd.service", "systemd-resolved.service", "systemd-timesyncd.service")) {
      assertEquals(Path.of("/dev/null"), Files.readSymbolicLink(units.resolve(unit)), unit + " is not masked");
    }
    assertFalse(Files.exists(units.resolve("multi-user.target.wants/systemd-networkd.service"), LinkOption.NOFOLLOW_LINKS),
        "networkd is still enabled");
    String target = Files.readString(units.resolve("vic.target"));
    assertTrue(target.contains("Wants=permissions.service nat.service vic-init.service"), target);
    assertTrue(Files.readString(units.resolve("vic-init.service")).contains("ExecStart=/sbin/vic-init"));
    for (String component : applianceComponents().keySet()) {
      assertTrue(Files.isExecutable(applianceRoot.resolve("sbin/" + component)), component);
    }
    List<String> passwd = Files.readAllLines(applianceRoot.resolve("etc/passwd"));
    assertTrue(passwd.contains("vicadmin:x:1000:1000:VIC appliance administrator:/home/vicadmin:/bin/false"),
        passwd::toString);
    List<String> group = Files.readAllLines(applianceRoot.resolve("etc/group"));
    assertTrue(group.containsAll(List.of("systemd-journal:x:190:vicadmin", "vicadmin:x:1000:", "vic:x:1001:")),
        group::toString);
    assertEquals(1000, Files.getAttribute(applianceRoot.resolve("home/vicadmin"), "unix:uid"));
    assertEquals(0, Files.size(applianceRoot.resolve("etc/machine-id")));
    assertFalse(Files.exists(applianceRoot.resolve("etc/initrd-release")), "systemd would run initrd.target");
    assertTrue(Files.isDirectory(applianceRoot.resolve("var/lib/rpm")), "the appliance lost its rpm database");
  }

  @Test
  void corruptEntryIsDiscardedAndRebuilt() throws Exception {
    Path corruptCache = dir.resolve("corrupt-cache");
    Path entry = entriesBeforeScratch.get(0);
    Path copy = corruptCache.resolve("stages/base").resolve(entry.getFileName());
    Files.createDirectories(copy.getParent());
    byte[] bytes = Files.readAllBytes(entry);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(copy, bytes);
    StringBuilder log = new StringBuilder();
    BuildResult rebuilt = buildIn(corruptCache, "bootstrap", bootstrapComponents(), "corrupt-out", true, false, log);
    assertTrue(rebuilt.succeeded(), () -> rebuilt.error() + "\n" + log);
    assertFalse(stage(rebuilt, "base").cached(), "a corrupt entry was used");
    assertTrue(log.toString().contains("is corrupt"), log::toString);
    assertEquals(stage(bootstrap, "base").sha256(), stage(rebuilt, "base").sha256());
    assertEquals(List.of(entry.getFileName()), baseEntries(corruptCache).stream().map(Path::getFileName).toList());
    assertFalse(java.util.Arrays.equals(bytes, Files.readAllBytes(baseEntries(corruptCache).get(0))));
  }

  @Test
  void applianceOfADefinitionWithoutApplianceListIsRefused() throws Exception {
    Path yum = FixtureDefinitions.write(dir.resolve("defs-yum"), FixtureDefinitions.YUM, repo);
    BuildResult refused = new BuildEngine(PackageDrivers.standard()).run(request(yum, cache, "appliance",
        applianceComponents(), dir.resolve("refused-out"), false, false), (stage, text) -> { });
    assertEquals("DEFINITION", refused.errorKind());
    assertTrue(refused.error().contains("packages.appliance is missing"), refused.error());
  }

  @Test
  void applianceComponentsAreCheckedByName() throws Exception {
    Map<String, Path> withoutVicadmin = new HashMap<>(applianceComponents());
    withoutVicadmin.remove("vicadmin");
    BuildResult missing = new BuildEngine(PackageDrivers.standard()).run(request(definition, cache, "appliance",
        withoutVicadmin, dir.resolve("missing-out"), false, false), (stage, text) -> { });
    assertEquals("INPUT", missing.errorKind());
    assertTrue(missing.error().contains("missing component 'vicadmin'"), missing.error());
    Map<String, Path> withTether = new HashMap<>(applianceComponents());
    withTether.put("tether", ExampleComponents.of("tether"));
    BuildResult unknown = new BuildEngine(PackageDrivers.standard()).run(request(definition, cache, "appliance",
        withTether, dir.resolve("unknown-out"), false, false), (stage, text) -> { });
    assertTrue(unknown.error().contains("unknown component 'tether': an appliance takes"), unknown.error());
  }

  private BuildResult build(String target, Map<String, Path> components, String out, boolean reuse, boolean keep,
      StringBuilder log) {
    return buildIn(cache, target, components, out, reuse, keep, log);
  }

  private BuildResult buildIn(Path cacheDir, String target, Map<String, Path> components, String out, boolean reuse,
      boolean keep, StringBuilder log) {
    long start = System.nanoTime();
    BuildResult result = new BuildEngine(PackageDrivers.standard()).run(
        request(definition, cacheDir, target, components, dir.resolve(out), reuse, keep),
        (stage, text) -> log.append('[').append(stage).append("] ").append(text).append('\n'));
    System.out.printf("%s (%s) built in %.1f s: %s%n", target, reuse ? "reuse stages" : "from scratch",
        (System.nanoTime() - start) / 1e9, result.stages());
    return result;
  }

  private BuildRequest request(Path def, Path cacheDir, String target, Map<String, Path> components, Path out,
      boolean reuse, boolean keep) {
    return new BuildRequest(def, target, components, out, cacheDir, dir.resolve("keys"), false, Optional.empty(),
        OptionalLong.of(FixtureYumRepo.SOURCE_DATE_EPOCH), keep).withReuseStages(reuse);
  }

  private static List<Path> baseEntries(Path cacheDir) throws IOException {
    Path base = cacheDir.resolve("stages/base");
    if (!Files.isDirectory(base)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(base)) {
      return files.sorted().toList();
    }
  }

  private static StageRecord stage(BuildResult result, String name) {
    return result.stages().stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no stage " + name + " in " + result.stages()));
  }

  private static Map<String, Path> bootstrapComponents() {
    return Map.of("tether", ExampleComponents.of("tether"), "unpack", ExampleComponents.of("unpack"));
  }

  private static Map<String, Path> applianceComponents() {
    Map<String, Path> components = new HashMap<>();
    for (String name : Target.APPLIANCE.components()) {
      components.put(name, ExampleComponents.of(name));
    }
    return components;
  }
}
