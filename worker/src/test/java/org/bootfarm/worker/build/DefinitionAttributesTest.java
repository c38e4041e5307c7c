package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.protocol.build.ManifestEntry;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.fixture.ExampleComponents;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A definition's digest covers its paths and bytes, not its files' modes and mtimes, so hooks see every definition
 * file with attributes that follow from the digest alone (ADR 0067): two copies of one definition, one with a file
 * of mode 0600 dated 2019 as a checkout or an unpacked tarball may leave it, the other with that file 0644 and
 * written now, build the same base stage and ISO even though base.sh copies the file with {@code cp -p}, and the hook
 * sees it 0644, dated SOURCE_DATE_EPOCH.
 */
@Tag("tool")
class DefinitionAttributesTest {
  private static final String HOOK = """

      # copies a definition file with its mode and mtime, and says what it saw
      mkdir -p "$(rootfs_dir "$PKGDIR")/etc"
      cp -p "${REPODIR}extra.txt" "$(rootfs_dir "$PKGDIR")/etc/extra.txt"
      stat -c '%a %Y' "${REPODIR}extra.txt" > "$(rootfs_dir "$PKGDIR")/etc/extra.stat"
      """;

  @TempDir Path dir;

  private Path definition(String name, String mode, Instant mtime, FixtureYumRepo repo) throws Exception {
    Path definition = FixtureDefinitions.write(dir.resolve(name), FixtureDefinitions.TDNF, repo);
    Files.writeString(definition.resolve("base.sh"), HOOK, StandardOpenOption.APPEND);
    Path extra = Files.writeString(definition.resolve("extra.txt"), "a file the definition ships\n");
    Files.setPosixFilePermissions(extra, PosixFilePermissions.fromString(mode));
    Files.setLastModifiedTime(extra, FileTime.from(mtime));
    return definition;
  }

  private BuildResult build(Path definition, String name) {
    StringBuilder log = new StringBuilder();
    BuildRequest request = new BuildRequest(definition, "bootstrap", Map.of("tether", ExampleComponents.of("tether"),
        "unpack", ExampleComponents.of("unpack")), dir.resolve(name + "-out"), dir.resolve("cache"),
        dir.resolve("keys"), false, Optional.empty(),
        OptionalLong.of(FixtureYumRepo.SOURCE_DATE_EPOCH), false);
    BuildResult result = new BuildEngine(PackageDrivers.standard()).run(request,
        (stage, text) -> log.append('[').append(stage).append("] ").append(text).append('\n'));
    assertTrue(result.succeeded(), () -> result.error() + "\n" + log);
    return result;
  }

  @Test
  void aDefinitionCopiedWithOtherModesAndMtimesBuildsTheSameImage() throws Exception {
    Files.createDirectories(dir.resolve("keys"));
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      Path checkout = definition("checkout", "rw-------", Instant.parse("2019-06-01T00:00:00Z"), repo);
      Path written = definition("written", "rw-r--r--", Instant.now(), repo);
      assertEquals(RepoDefinitionLoader.digest(checkout), RepoDefinitionLoader.digest(written), "one digest");

      BuildResult first = build(checkout, "checkout");
      BuildResult second = build(written, "written");
      assertEquals(first.stages().get(0).sha256(), second.stages().get(0).sha256(), "the base stage");
      assertEquals(first.artifacts().get(0).sha256(), second.artifacts().get(0).sha256(), "the ISO");

      Map<String, ManifestEntry> manifest = new java.util.TreeMap<>();
      for (ManifestEntry e : Manifest.readJson(dir.resolve("checkout-out/manifest.json")).entries()) {
        manifest.put(e.image() + ":" + e.path(), e);
      }
      assertEquals("0644", manifest.get("initramfs:etc/extra.txt").mode());
      assertEquals(Sha256.of(("644 " + FixtureYumRepo.SOURCE_DATE_EPOCH + "\n").getBytes(StandardCharsets.UTF_8)),
          manifest.get("initramfs:etc/extra.stat").sha256(), "what the hook saw of the definition file");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
          checkout.resolve("extra.txt"))), "the operator's directory is left as it was");
    }
  }
}
