package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bootfarm build} end to end against the fixture yum repository served on 127.0.0.1. */
@Tag("tool")
class BuildCommandTest {
  static FixtureYumRepo repo;
  @TempDir static Path shared;
  static Path keys;

  @BeforeAll
  static void startRepo() throws Exception {
    repo = FixtureYumRepo.start();
    keys = Files.createDirectories(shared.resolve("no-keys"));
  }

  @AfterAll
  static void stopRepo() {
    repo.close();
  }

  @Test
  void buildsTdnfStyleBootstrapThenRebuildsFromWarmCacheWithoutDownloads(@TempDir Path dir) throws Exception {
    Path definition = FixtureDefinitions.write(dir, FixtureDefinitions.TDNF, repo);
    Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
    Path cache = dir.resolve("cache");

    CliRun first = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, dir.resolve("out1"), cache, keys)
        .toArray(String[]::new));
    assertEquals(0, first.exitCode, first::toString);
    JsonNode result = first.json();
    assertEquals("SUCCEEDED", result.get("status").asText());
    List<String> stageNames = new ArrayList<>();
    result.get("stages").forEach(s -> stageNames.add(s.get("name").asText()));
    assertEquals(List.of("base", "staging-bootstrap", "assemble"), stageNames);
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)),
        "a build without a farm makes its cache directory for its user alone, as a worker does");

    Path out = dir.resolve("out1");
    assertTrue(Files.isRegularFile(out.resolve("bootstrap-fixture-tdnf.iso")));
    Map<String, JsonNode> manifest = FixtureBuilds.manifest(out);
    assertTrue(manifest.containsKey("iso:boot/vmlinuz64"), manifest.keySet()::toString);
    assertTrue(manifest.containsKey("iso:boot/core.gz"));
    assertTrue(manifest.containsKey("initramfs:bin/tether"));
    assertTrue(manifest.containsKey("initramfs:bin/unpack"));
    assertTrue(manifest.containsKey("initramfs:bin/init"));
    assertTrue(manifest.containsKey("initramfs:bin/bootstrap"));
    assertTrue(manifest.containsKey("initramfs:bin/repoinit"));
    assertTrue(manifest.containsKey("initramfs:etc/initrd-release"));
    assertTrue(manifest.keySet().stream().anyMatch(p -> p.startsWith("initramfs:lib/modules/") && p.endsWith("/modules.dep")));
    assertTrue(manifest.keySet().stream().anyMatch(p -> p.startsWith("initramfs:lib/modules/") && p.endsWith(".ko")),
        "the .ko.xz modules are unpacked");
    assertFalse(manifest.keySet().stream().anyMatch(p -> p.endsWith(".ko.xz")));
    assertFalse(manifest.keySet().stream().anyMatch(p -> p.startsWith("initramfs:var/lib/rpm")),
        "a bootstrap carries no package database");

    JsonNode buildinfo = new ObjectMapper().readTree(out.resolve("buildinfo.json").toFile());
    List<String> locked = new ArrayList<>();
    buildinfo.get("lock").get("packages").forEach(p -> locked.add(p.get("name").asText()));
    assertTrue(locked.containsAll(List.of("filesystem", "toybox", "kmod", "haveged", "iptables", "linux-esx")), locked::toString);
    buildinfo.get("lock").get("packages").forEach(p -> assertEquals(64, p.get("sha256").asText().length()));
    assertEquals(FixtureDefinitions.TDNF, buildinfo.get("repo").asText());

    repo.resetCounts();
    // --no-cache: the action cache (ADR 0048) would serve this unchanged build whole; the warm package cache is shown
    List<String> secondArgs = new ArrayList<>(FixtureBuilds.buildArgs(definition, components, dir.resolve("out2"),
        cache, keys));
    secondArgs.add("--no-cache");
    CliRun second = CliRun.inProcess(secondArgs.toArray(String[]::new));
    assertEquals(0, second.exitCode, second::toString);
    assertEquals(0, repo.rpmRequests(), "the second build of an unchanged repo downloads no package file");
    assertEquals(result.get("artifacts").toString(), second.json().get("artifacts").toString());
    assertEquals(result.get("stages").findValues("sha256"), second.json().get("stages").findValues("sha256"));
  }

  @Test
  void buildsYumStyleBootstrapWhoseBaseHookMakesDeviceNodes(@TempDir Path dir) throws Exception {
    Path definition = FixtureDefinitions.write(dir, FixtureDefinitions.YUM, repo);
    Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
    CliRun run = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, dir.resolve("out"),
        dir.resolve("cache"), keys).toArray(String[]::new));
    assertEquals(0, run.exitCode, run::toString);
    Map<String, JsonNode> manifest = FixtureBuilds.manifest(dir.resolve("out"));
    assertEquals("char", manifest.get("initramfs:dev/null").get("type").asText().replace("char-device", "char"));
    assertTrue(manifest.get("initramfs:lib64").get("type").asText().startsWith("dir"), "base.sh made lib64 a directory");
    assertFalse(manifest.containsKey("initramfs:etc/localtime"), "staging.sh removed /etc/localtime");
    assertTrue(Files.isRegularFile(dir.resolve("out/bootstrap-fixture-yum.iso")));
  }
  @Test
  void buildsTheVicCentos7ShapedDefinitionWithoutDriversArrayAndWithSystemdAsInit(@TempDir Path dir) throws Exception {
    Path definition = FixtureDefinitions.write(dir, FixtureDefinitions.CENTOS_7, repo);
    CliRun check = CliRun.inProcess("check", definition.toString(), "--keys", keys.toString());
    assertEquals(0, check.exitCode, check::toString);
    assertTrue(check.stdout.contains("note: init.sh: drivers: no drivers=( ... ) array"), check.stdout);

    Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
    CliRun run = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, dir.resolve("out"),
        dir.resolve("cache"), keys).toArray(String[]::new));
    assertEquals(0, run.exitCode, run::toString);
    Path out = dir.resolve("out");
    assertTrue(Files.isRegularFile(out.resolve("bootstrap-fixture-centos-7.iso")));
    Map<String, JsonNode> manifest = FixtureBuilds.manifest(out);
    for (String file : List.of("lib/systemd/systemd", "sbin/depmod", "sbin/udevd", "sbin/rngd", "bin/repoinit")) {
      assertTrue(manifest.containsKey("initramfs:" + file), () -> file + " not in the initramfs: " + manifest.keySet());
    }
    JsonNode buildinfo = new ObjectMapper().readTree(out.resolve("buildinfo.json").toFile());
    List<String> locked = new ArrayList<>();
    buildinfo.get("lock").get("packages").forEach(p -> locked.add(p.get("name").asText()));
    assertTrue(locked.containsAll(List.of("module-init-tools", "systemd", "kernel", "udev", "util-linux-ng")),
        locked::toString);
    assertFalse(buildinfo.has("unsigned"), "every package was checked: " + buildinfo);
  }

  /** The fixture tdnf definition with gpgcheck=0, served by a repository one of whose base packages is unsigned. */
  static Path gpgcheckOffDefinition(Path dir, FixtureYumRepo served) throws Exception {
    Path definition = FixtureDefinitions.write(dir, FixtureDefinitions.TDNF, served);
    Path repoFile = definition.resolve("fixture.repo");
    Files.writeString(repoFile, Files.readString(repoFile).replace("gpgcheck=1", "gpgcheck=0"));
    return definition;
  }

  @Test
  void gpgcheckOffIsRefusedWithExitTwoUnlessAllowedAndThenTheBuildinfoSaysUnsigned(@TempDir Path dir)
      throws Exception {
    try (FixtureYumRepo unsigned = FixtureYumRepo.start(FixtureYumRepo.Variant.UNSIGNED_PACKAGE)) {
      Path definition = gpgcheckOffDefinition(dir, unsigned);
      Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
      List<String> args = FixtureBuilds.buildArgs(definition, components, dir.resolve("out"), dir.resolve("cache"),
          keys);

      CliRun refused = CliRun.inProcess(args.toArray(String[]::new));
      assertEquals(2, refused.exitCode, refused::toString);
      String error = refused.json().get("error").asText();
      for (String part : List.of("fixture.repo: [bootfarm-fixture] gpgcheck: gpgcheck=0",
          "without a signature check", "--allow-unsigned fixture-tdnf")) {
        assertTrue(error.contains(part), () -> part + " not in: " + error);
      }
      assertFalse(Files.exists(dir.resolve("out/buildinfo.json")), "nothing published");
      assertEquals(0, unsigned.rpmRequests(), "nothing downloaded");

      List<String> allowed = new ArrayList<>(args);
      allowed.addAll(List.of("--allow-unsigned", "fixture-tdnf"));
      CliRun run = CliRun.inProcess(allowed.toArray(String[]::new));
      assertEquals(0, run.exitCode, run::toString);
      JsonNode buildinfo = new ObjectMapper().readTree(dir.resolve("out/buildinfo.json").toFile());
      assertEquals("[\"fixture.repo [bootfarm-fixture]: gpgcheck=0\"]", buildinfo.get("unsigned").toString());
      assertTrue(run.stderr.contains("UNSIGNED (allowed by the operator)"), run::toString);
    }
  }
}
