package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key the definition takes from the trusted-keys directory ({@code gpgkey=file:///etc/pki/rpm-gpg/...}, as the
 * Photon definitions do) is an input of the build (ADR 0067): the buildinfo names it by sha256, the build hands it
 * over with its package files, and a rebuild from the record on a machine that lacks the key takes it from
 * {@code DIR/keys} and makes the same ISO and buildinfo; without it, or with another key of that name, the rebuild
 * is refused naming the key and both digests.
 */
@Tag("tool")
class RebuildWithRecordedKeysTest {
  private static final String ISO = "bootstrap-fixture-tdnf.iso";

  @TempDir static Path dir;
  static Path original;
  static Path inputs;
  static Path noKeys;
  static String keySha256;

  @BeforeAll
  static void buildWithTheKeyInTheTrustedKeysDirectory() throws Exception {
    Path trusted = Files.createDirectories(dir.resolve("trusted-keys"));
    noKeys = Files.createDirectories(dir.resolve("no-keys"));
    original = dir.resolve("original");
    Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
    Path definition;
    JsonNode result;
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      Path key = Files.move(definition.resolve(FixtureDefinitions.KEY_FILE_NAME),
          trusted.resolve(FixtureDefinitions.KEY_FILE_NAME));
      keySha256 = Sha256.of(key);
      CliRun first = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, original, dir.resolve("cache"),
          trusted).toArray(String[]::new));
      assertEquals(0, first.exitCode, first::toString);
      result = first.json();
    }
    // the inputs as bootfarm fetch --inputs lays them out, the key under a name of its own
    inputs = dir.resolve("inputs");
    FixtureBuilds.writeInputs(inputs, definition, components, result.get("inputFiles"), java.util.Set.of(keySha256));
  }

  private static CliRun rebuild(Path inputDir, Path keys, String out) {
    List<String> args = new ArrayList<>(List.of("build", "--from-buildinfo",
        original.resolve("buildinfo.json").toString(), "--inputs", inputDir.toString(), "--out",
        dir.resolve(out).toString(), "--cache-dir", dir.resolve("cache").toString(), "--keys", keys.toString(),
        "--json"));
    return CliRun.inProcess(args.toArray(String[]::new));
  }

  @Test
  void theRecordNamesTheKeyAndTheBuildHandsItOver() throws Exception {
    JsonNode keys = FixtureBuilds.json(original.resolve("buildinfo.json")).path("gpgKeys");
    assertEquals(keySha256, keys.path(FixtureDefinitions.KEY_REFERENCE).asText(), keys::toString);
    assertTrue(Files.isRegularFile(inputs.resolve("keys").resolve(FixtureDefinitions.KEY_FILE_NAME)),
        "the build's inputFiles name the key with the package files");
  }

  @Test
  void aMachineWithoutTheKeyRebuildsTheSameIsoFromTheRecordsKey() throws Exception {
    CliRun run = rebuild(inputs, noKeys, "rebuilt");
    assertEquals(0, run.exitCode, run::toString);
    assertEquals(Sha256.of(original.resolve(ISO)), Sha256.of(dir.resolve("rebuilt").resolve(ISO)));
    assertEquals(Files.readString(original.resolve("buildinfo.json")),
        Files.readString(dir.resolve("rebuilt/buildinfo.json")));
  }

  @Test
  void aMissingKeyOrAnotherKeyOfThatNameIsRefusedNamingBothDigests() throws Exception {
    Path withoutKeys = dir.resolve("without-keys");
    FixtureBuilds.copyTree(inputs, withoutKeys);
    org.bootfarm.worker.FileTrees.delete(withoutKeys.resolve("keys"));
    CliRun missing = rebuild(withoutKeys, noKeys, "out-missing");
    assertEquals(2, missing.exitCode, missing::toString);
    String error = missing.json().get("error").asText();
    assertTrue(error.contains("key " + FixtureDefinitions.KEY_REFERENCE + " (sha256 " + keySha256 + ") is not in "
        + withoutKeys.resolve("keys") + " nor in the trusted-keys directory " + noKeys), error);

    Path otherKeys = Files.createDirectories(dir.resolve("other-keys"));
    Files.writeString(otherKeys.resolve(FixtureDefinitions.KEY_FILE_NAME), "another key\n");
    CliRun other = rebuild(withoutKeys, otherKeys, "out-other");
    assertEquals(2, other.exitCode, other::toString);
    String otherError = other.json().get("error").asText();
    assertTrue(otherError.contains("has sha256 " + Sha256.of(otherKeys.resolve(FixtureDefinitions.KEY_FILE_NAME))
        + " (another key, refused)"), otherError);
    assertFalse(Files.exists(dir.resolve("out-other").resolve(ISO)), "nothing built");
  }
}
