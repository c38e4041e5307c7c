package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.pkg.AptDriver;
import org.bootfarm.worker.pkg.PackageSession;
import org.bootfarm.worker.build.EngineProcess;
import org.bootfarm.worker.build.Target;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.TestInstance;

/**
 * The appliance of repos/debian-12, built by the bootfarm engine as a worker builds it (its base stage from
 * or into the stage cache), then rebuilt from scratch from that build's record alone — its locked package
 * files as pinned inputs, apt sources pointed at a tripwire, an empty package cache — in another build path,
 * under another umask, TZ, hostname and CPU count ({@link RebuildFromRecord}): the rebuild reaches no mirror
 * and gives the same bytes, dpkg database (and apt's extended_states) included. The appliance boots under
 * qemu (TCG) with systemd as PID 1 to vic.target, where the stand-in vic-init (examples/components/vic-init)
 * prints the default target, the vicadmin user and the state of the units that must stay off.
 */
@Tag("boot")
@Tag("network")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(SeedBootChecks.BOOT_LANE)
class DebianApplianceBootTest {
  static final String DONE = "=== BOOTFARM-VIC-INIT-DONE ===";
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
  /** systemd, dbus and the kernel's modules unpack into RAM beside the initramfs itself. */
  private static final int MEMORY_MIB = 1024;

  private EngineProcess.Run first;
  private RebuildFromRecord rebuild;
  private Path work;
  private QemuBoot.Result boot;

  @BeforeAll
  void buildRebuildAndBoot() throws IOException, InterruptedException {
    work = SeedBootChecks.projectRoot().resolve("worker/target/boot-test-appliance");
    Files.createDirectories(work);
    Path definition = SeedBootChecks.projectRoot().resolve("repos/debian-12");
    first = build("out", SeedBootChecks.plainEnvironmentWrapper(), Map.of("TZ", "UTC"), definition, true);
    Path iso = work.resolve("out/appliance.iso");
    // the rebuild (pinned to CPU 0) runs while the first build's appliance boots under TCG
    QemuBoot.Background booting = QemuBoot.start(iso, null, DONE, BOOT_TIMEOUT, MEMORY_MIB);
    try {
      rebuild = RebuildFromRecord.of(work, "out", first, definition, "appliance", components());
    } finally {
      boot = booting.result();
    }
    Files.writeString(work.resolve("console.log"), boot.console());
    System.out.printf("qemu ran %.1f s (timed out: %s, exit %d); console in %s%n",
        boot.elapsed().toMillis() / 1e3, boot.timedOut(), boot.exitCode(), work.resolve("console.log"));
  }

  private static Map<String, Path> components() {
    Map<String, Path> components = new HashMap<>();
    for (String name : Target.APPLIANCE.components()) {
      components.put(name, SeedBootChecks.component(name));
    }
    return components;
  }

  private EngineProcess.Run build(String out, List<String> wrapper, Map<String, String> env, Path definition,
      boolean reuseStages) throws IOException, InterruptedException {
    long start = System.nanoTime();
    EngineProcess.Run run = EngineProcess.build(wrapper, env, definition, work.resolve(out),
        SeedBootChecks.projectRoot().resolve("worker/target/boot-cache"),
        Files.createDirectories(work.resolve("keys")), components(), "appliance", reuseStages);
    System.out.printf("bootfarm built the appliance of %s (%s) in %.1f s: %s%n", definition.getFileName(),
        reuseStages ? "reusing stages" : "from scratch", (System.nanoTime() - start) / 1e9, run.result().stages());
    if (run.exitCode() != 0) {
      throw new AssertionError("the appliance build failed: " + run.result().error() + "\n" + run.log());
    }
    return run;
  }

  @Test
  void twoBuildsGiveTheSameBytesPackageDatabaseIncluded() throws IOException {
    List<Manifest.Difference> differences = Manifest.readJson(work.resolve("out/manifest.json"))
        .diff(Manifest.readJson(work.resolve(RebuildFromRecord.OUT).resolve("manifest.json")));
    assertEquals(List.of(), differences.stream().map(d -> d.image() + ":" + d.path() + " " + d.what()).toList(),
        "files that differ between the appliance build and its rebuild from the record");
    rebuild.assertBitIdentical();
    assertTrue(Manifest.readJson(work.resolve("out/manifest.json")).paths("initramfs").contains("var/lib/dpkg/status"),
        "the appliance has no dpkg database");
  }

  /**
   * apt's resolution of debian-12's two transactions (packages.base and the kernel; that plus packages.appliance),
   * downloading and installing nothing, names exactly the package files the appliance build installed, each with
   * the sha256 and origin its lock records (docs/adr/0049): the action cache keys an apt build by what it really
   * installs. It reads the warm cache the build left (about 5 s alone, the second transaction's solver included).
   */
  @Test
  void aptResolutionNamesExactlyWhatTheApplianceBuildInstalled() throws Exception {
    Path definitionDir = SeedBootChecks.projectRoot().resolve("repos/debian-12");
    RepoDefinition definition = RepoDefinitionLoader.load(definitionDir, new LoadOptions(work.resolve("keys"), false));
    List<String> base = new ArrayList<>(definition.spec().packageList("base"));
    base.add(definition.spec().kernel());
    List<String> appliance = new ArrayList<>(base);
    appliance.addAll(definition.spec().packageList("appliance"));
    Path scratch = Files.createTempDirectory(work, "resolve-");
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    PackageSession session = new PackageSession(definition, scratch.resolve("root"),
        SeedBootChecks.projectRoot().resolve("worker/target/boot-cache/repos/debian-12"), scratch.resolve("pkg"),
        Optional.empty(), 0L, "build", (stage, text) -> log.add(text));
    long start = System.nanoTime();
    Optional<List<String>> resolved = new AptDriver().resolve(session, List.of(base, appliance));
    System.out.printf("apt resolved debian-12's appliance in %.1f s%n", (System.nanoTime() - start) / 1e9);
    assertTrue(resolved.isPresent(), () -> "not resolved:\n" + String.join("\n", log));
    int second = resolved.get().indexOf("transaction 1");
    assertEquals("transaction 0", resolved.get().get(0), resolved.get()::toString);
    List<String> baseFiles = resolved.get().subList(1, second);
    List<String> applianceFiles = resolved.get().subList(second + 1, resolved.get().size());
    BuildInfo info = new ObjectMapper().readValue(work.resolve("out/buildinfo.json").toFile(), BuildInfo.class);
    List<String> installed = info.lock().inputs().stream().map(p -> p.name() + " " + p.version() + " " + p.arch()
        + " sha256 " + p.sha256() + " origin " + (p.origin() == null ? "unknown"
            : p.origin().repository() + " " + p.origin().url())).sorted().toList();
    assertEquals(installed, applianceFiles, "apt's resolution against the package files the appliance installed");
    assertTrue(applianceFiles.containsAll(baseFiles), "the base transaction is part of the appliance's");
    assertTrue(baseFiles.stream().anyMatch(l -> l.startsWith(definition.spec().kernel() + " ")), baseFiles::toString);
  }

  @Test
  void rebuildInstallsFromThePinnedInputsAndReachesNoMirror() throws IOException {
    rebuild.assertInstalledFromThePinnedInputsAlone();
  }

  @Test
  void lockRecordsWhereEachPackageCameFrom() throws Exception {
    rebuild.assertLockRecordsWhereEachPackageCameFrom();
  }

  @Test
  void bootsWithSystemdToVicTargetWhereVicInitRuns() {
    assertTrue(boot.printed(DONE), () -> "vic-init never finished; console:\n" + boot.console());
    assertFalse(boot.timedOut(), "qemu had to be killed: the appliance did not power off");
    Map<String, String> facts = facts();
    assertEquals("systemd", facts.get("pid1"), facts::toString);
    assertEquals("vic.target", facts.get("default-target"), facts::toString);
    assertEquals("active", facts.get("vic.target"), facts::toString);
  }

  @Test
  void vicadminIsUid1000InSystemdJournalAndVicIsGid1001() {
    Map<String, String> facts = facts();
    String id = facts.get("vicadmin");
    assertTrue(id.startsWith("uid=1000(vicadmin) gid=1000(vicadmin) groups=1000(vicadmin),"), id);
    assertTrue(id.contains("(systemd-journal)"), id);
    assertEquals("vic:x:1001:", facts.get("vic-group"), facts::toString);
  }

  @Test
  void networkdResolvedAndTimesyncdAreMaskedAndInactive() {
    Map<String, String> facts = facts();
    for (String unit : List.of("systemd-networkd.service", "systemd-resolved.service", "systemd-timesyncd.service")) {
      assertEquals("masked inactive", facts.get(unit), () -> unit + ": " + facts);
    }
  }

  @Test
  void natAndPermissionsSetupRan() {
    Map<String, String> facts = facts();
    assertEquals("active", facts.get("nat.service"), facts::toString);
    assertEquals("active root:vic 770", facts.get("permissions.service"), facts::toString);
  }

  /** The {@code name value} lines vic-init printed in its {@code appliance} section. */
  private Map<String, String> facts() {
    String section = boot.section("appliance").orElseThrow(() -> new AssertionError(
        "the console has no appliance section; console:\n" + boot.console()));
    return section.lines().map(String::strip).filter(l -> l.contains(" "))
        .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(' ')), l -> l.substring(l.indexOf(' ') + 1),
            (a, b) -> a + " | " + b));
  }
}
