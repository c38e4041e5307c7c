package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds of the same inputs in separate JVMs, from different build paths, under a different
 * TZ, locale, umask, hostname and CPU count, give the same sha256 for every stage archive, the
 * initramfs, the ISO, the buildinfo and the manifest.
 */
@Tag("tool")
class ReproducibilityTest {

  @Test
  void buildsUnderVariedEnvironmentsAreBitIdentical(@TempDir Path dir) throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      Path definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.YUM, repo);
      Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
      Path keys = Files.createDirectories(dir.resolve("keys"));

      CliRun plain = CliRun.subprocess(
          List.of("/bin/sh", "-c", "umask 022; exec \"$@\"", "sh"),
          Map.of("TZ", "UTC", "LANG", "C", "LC_ALL", "C"),
          withStageArchives(FixtureBuilds.buildArgs(definition, components, dir.resolve("a/out"), dir.resolve("a/cache"), keys))
              .toArray(String[]::new));
      CliRun varied = CliRun.subprocess(
          List.of("unshare", "--uts", "/bin/sh", "-c",
              "hostname bootfarm-varied-host && umask 077 && exec taskset -c 0 \"$@\"", "sh"),
          Map.of("TZ", "Pacific/Kiritimati", "LANG", "de_DE.UTF-8", "LC_ALL", "de_DE.UTF-8"),
          withStageArchives(FixtureBuilds.buildArgs(definition, components, dir.resolve("elsewhere/deeper/out"),
              dir.resolve("elsewhere/deeper/cache-dir"), keys))
              .toArray(String[]::new));
      assertEquals(0, plain.exitCode, plain::toString);
      assertEquals(0, varied.exitCode, varied::toString);

      JsonNode a = plain.json();
      JsonNode b = varied.json();
      assertEquals(3, a.get("stages").size());
      for (int i = 0; i < a.get("stages").size(); i++) {
        assertEquals(a.get("stages").get(i).get("name"), b.get("stages").get(i).get("name"));
        String stage = a.get("stages").get(i).get("name").asText();
        if (!a.get("stages").get(i).get("sha256").equals(b.get("stages").get(i).get("sha256"))) {
          String why = stage.equals("assemble")
              ? manifestDiff(dir.resolve("a/out"), dir.resolve("elsewhere/deeper/out"))
              : StageArchiveDiff.describe(
              dir.resolve("a/out/stages/" + stage + ".tar.gz"),
              dir.resolve("elsewhere/deeper/out/stages/" + stage + ".tar.gz"));
          throw new AssertionError("stage " + stage + " differs:\n" + why);
        }
      }
      assertEquals(a.get("artifacts"), b.get("artifacts"), "ISO, buildinfo and manifest are identical");
      assertTrue(Files.isRegularFile(dir.resolve("a/out/stages/base.tar.gz")), "--stage-archives published none");
      assertNotEquals(dir.resolve("a/out"), dir.resolve("elsewhere/deeper/out"));
    }
  }

  /** The build's arguments with {@code --stage-archives}: a stage that differs is explained from its archives. */
  private static List<String> withStageArchives(List<String> args) {
    List<String> all = new java.util.ArrayList<>(args);
    all.add("--stage-archives");
    return all;
  }

  /** The manifest entries (initramfs and ISO files) that differ between two outputs. */
  private static String manifestDiff(Path a, Path b) throws java.io.IOException {
    Map<String, JsonNode> left = FixtureBuilds.manifest(a);
    Map<String, JsonNode> right = FixtureBuilds.manifest(b);
    StringBuilder out = new StringBuilder();
    java.util.TreeSet<String> paths = new java.util.TreeSet<>(left.keySet());
    paths.addAll(right.keySet());
    for (String path : paths) {
      if (!java.util.Objects.equals(left.get(path), right.get(path))) {
        out.append(path).append("\n  a: ").append(left.get(path)).append("\n  b: ").append(right.get(path)).append('\n');
      }
    }
    return out.length() == 0 ? "(every file equal: the ISO differs in its own metadata)" : out.toString();
  }
}
