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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bootfarm build} end to end against the fixture yum repository served on 127.0.0.1. */
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
    CliRun second = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, dir.resolve("out2"), cache, keys)
        .toArray(String[]::new));
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
}
