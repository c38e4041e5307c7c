package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import org.bootfarm.testkit.Tripwire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.iso.IsoWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bootfarm build --from-buildinfo FILE --inputs DIR} against a fixture build whose repository is gone: the
 * rebuild is bit for bit the original with no connection to the upstream, and inputs that do not match the
 * record (a changed package, a missing one, another definition) are refused before anything is built; so is a
 * machine whose builder, tools or host files are not the record's, unless the operator allows it, and then the
 * rebuild's buildinfo says how it differs (ADR 0067).
 */
@Tag("tool")
class RebuildFromBuildinfoTest {
  private static final String ISO = "bootstrap-fixture-tdnf.iso";

  @TempDir static Path shared;
  static Path keys;
  static Path original;
  static Path inputs;
  static Path cache;
  static Tripwire tripwire;

  @BeforeAll
  static void buildThenTakeTheRepositoryAway() throws Exception {
    keys = Files.createDirectories(shared.resolve("no-keys"));
    cache = shared.resolve("cache");
    original = shared.resolve("original");
    int port;
    Path definition;
    Map<String, Path> components = FixtureBuilds.components(shared.resolve("components"));
    JsonNode result;
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      port = URI.create(repo.baseUrl()).getPort();
      definition = FixtureDefinitions.write(shared.resolve("defs"), FixtureDefinitions.TDNF, repo);
      CliRun first = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, original, cache, keys)
          .toArray(String[]::new));
      assertEquals(0, first.exitCode, first::toString);
      result = first.json();
    }
    // the inputs as bootfarm fetch --inputs lays them out; package files under their upstream names
    inputs = shared.resolve("inputs");
    assertEquals(6, result.get("inputFiles").size(), result::toString);
    FixtureBuilds.writeInputs(inputs, definition, components, result.get("inputFiles"), java.util.Set.of());
    tripwire = Tripwire.on(port);
  }

  @AfterAll
  static void removeTripwire() throws IOException {
    tripwire.close();
  }

  @Test
  void rebuildFromTheRecordAndArchivedInputsIsBitIdenticalAndTouchesNoUpstream() throws Exception {
    Path out = shared.resolve("rebuilt");
    CliRun rebuild = CliRun.inProcess(rebuildArgs(inputs, out, "--json"));
    assertEquals(0, rebuild.exitCode, rebuild::toString);

    assertEquals(Sha256.of(original.resolve(ISO)), Sha256.of(out.resolve(ISO)), "the same ISO, bit for bit");
    assertEquals(Files.readString(original.resolve("buildinfo.json")), Files.readString(out.resolve("buildinfo.json")),
        "the same buildinfo, origins included");
    JsonNode buildinfo = new ObjectMapper().readTree(out.resolve("buildinfo.json").toFile());
    buildinfo.get("lock").get("packages").forEach(p -> assertEquals("bootfarm-fixture",
        p.get("origin").get("repository").asText(), p::toString));
    assertEquals(0, tripwire.connections(), "no connection to the definition's repository was tried");
    assertFalse(Files.list(cache.resolve("rebuilds")).findAny().isPresent(), "the private copy of the inputs is gone");
  }

  @Test
  void aPackageFileChangedAfterTheBuildIsRefusedNamingThePackageAndBothDigests() throws Exception {
    Path tampered = shared.resolve("tampered");
    FixtureBuilds.copyTree(inputs, tampered);
    Path haveged;
    try (Stream<Path> list = Files.list(tampered.resolve("packages"))) {
      haveged = list.filter(p -> p.getFileName().toString().startsWith("haveged-")).findFirst().orElseThrow();
    }
    String recorded = Sha256.of(haveged);
    byte[] bytes = Files.readAllBytes(haveged);
    bytes[bytes.length / 2] ^= 1;
    Files.write(haveged, bytes);

    CliRun run = CliRun.inProcess(rebuildArgs(tampered, shared.resolve("out-tampered"), "--json"));
    assertEquals(2, run.exitCode, run::toString);
    String error = run.json().get("error").asText();
    for (String part : List.of("package haveged-", haveged.toString(), Sha256.of(haveged), recorded, "refused",
        "bootfarm fetch --inputs")) {
      assertTrue(error.contains(part), () -> part + " not in: " + error);
    }
    assertFalse(Files.exists(shared.resolve("out-tampered").resolve(ISO)), "nothing built");
  }

  @Test
  void aMissingPackageOrAnotherDefinitionIsAClearInputError() throws Exception {
    Path partial = shared.resolve("partial");
    FixtureBuilds.copyTree(inputs, partial);
    try (Stream<Path> list = Files.list(partial.resolve("packages"))) {
      Files.delete(list.filter(p -> p.getFileName().toString().startsWith("kmod-")).findFirst().orElseThrow());
    }
    CliRun missing = CliRun.inProcess(rebuildArgs(partial, shared.resolve("out-partial")));
    assertEquals(2, missing.exitCode, missing::toString);
    assertTrue(missing.stderr.contains("package kmod-") && missing.stderr.contains("is not in "
        + partial.resolve("packages")), missing::toString);

    Path edited = shared.resolve("edited");
    FixtureBuilds.copyTree(inputs, edited);
    Files.writeString(edited.resolve("definition/base.sh"), "\n# edited\n", java.nio.file.StandardOpenOption.APPEND);
    CliRun other = CliRun.inProcess(rebuildArgs(edited, shared.resolve("out-edited")));
    assertEquals(2, other.exitCode, other::toString);
    assertTrue(other.stderr.contains("records definitionDigest"), other::toString);
  }

  /**
   * The record edited as if another machine had made it: another bootfarm, another xorriso, another zlib (which
   * compresses the initramfs), another isolinux.bin (ADR 0067).
   */
  private static Path recordOfAnotherMachine() throws IOException {
    ObjectNode record = (ObjectNode) new ObjectMapper().readTree(original.resolve("buildinfo.json").toFile());
    record.put("builder", "bootfarm-9.9.9+engine." + "e".repeat(64));
    ((ObjectNode) record.get("tools")).put("xorriso", "xorriso 0.0.1-1");
    ((ObjectNode) record.get("tools")).put("zlib", "zlib1g 1:0.0.1-1");
    if (record.path("hostFiles").path(IsoWriter.ISOLINUX_BIN.toString()) instanceof ObjectNode isolinux) {
      isolinux.put("sha256", "b".repeat(64)).put("package", "isolinux 3:0.0.1-1");
    }
    Path file = shared.resolve("other-machine/buildinfo.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(record));
    return file;
  }

  @Test
  void aRecordOfAnotherBuilderToolOrHostFileIsRefusedNamingEachDifferenceAndWhatToDo() throws Exception {
    Path out = shared.resolve("out-other-machine");
    CliRun run = CliRun.inProcess(rebuildArgs(recordOfAnotherMachine(), inputs, out, "--json"));
    assertEquals(2, run.exitCode, () -> "a record of another machine was rebuilt here without a word:\n" + run);
    String error = run.json().get("error").asText();
    JsonNode tools = new ObjectMapper().readTree(original.resolve("buildinfo.json").toFile()).get("tools");
    String xorriso = tools.get("xorriso").asText();
    String zlib = tools.get("zlib").asText();
    assertTrue(zlib.startsWith("zlib1g "), () -> "the build records the zlib its initramfs was deflated by: " + tools);
    for (String part : List.of("builder: recorded bootfarm-9.9.9+engine." + "e".repeat(64) + ", here bootfarm-",
        "tool xorriso: recorded xorriso 0.0.1-1, here " + xorriso,
        "tool zlib: recorded zlib1g 1:0.0.1-1, here " + zlib,
        "host file " + IsoWriter.ISOLINUX_BIN + ": recorded sha256 " + "b".repeat(64) + " (isolinux 3:0.0.1-1), here "
            + Sha256.of(IsoWriter.ISOLINUX_BIN),
        "apt-get install isolinux=3:0.0.1-1 xorriso=0.0.1-1 zlib1g=1:0.0.1-1", "--allow-machine-differences", "Nothing was built")) {
      assertTrue(error.contains(part), () -> part + " not in: " + error);
    }
    assertFalse(Files.exists(out.resolve(ISO)), "nothing built");
  }

  @Test
  void withTheOperatorsLeaveAMachineThatDiffersBuildsAndTheBuildinfoListsEachDifference() throws Exception {
    Path out = shared.resolve("out-allowed");
    CliRun run = CliRun.inProcess(rebuildArgs(recordOfAnotherMachine(), inputs, out, "--allow-machine-differences"));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("MACHINE DIFFERS from the record (allowed by the operator"), run::toString);
    assertEquals(Sha256.of(original.resolve(ISO)), Sha256.of(out.resolve(ISO)), "only the record was edited");
    JsonNode differences = new ObjectMapper().readTree(out.resolve("buildinfo.json").toFile()).get("machineDifferences");
    assertEquals(4, differences.size(), differences::toString);
    assertTrue(differences.get(0).asText().startsWith("builder: recorded bootfarm-9.9.9"), differences::toString);
    assertTrue(differences.get(1).asText().startsWith("tool xorriso: recorded xorriso 0.0.1-1"), differences::toString);
    assertTrue(differences.get(2).asText().startsWith("tool zlib: recorded zlib1g 1:0.0.1-1"), differences::toString);
    assertTrue(differences.get(3).asText().startsWith("host file " + IsoWriter.ISOLINUX_BIN), differences::toString);
    assertFalse(Files.readString(original.resolve("buildinfo.json")).contains("machineDifferences"));
  }

  @Test
  void anotherIsolinuxBinOnThisMachineIsRefusedNamingTheFileAndBothDigests() throws Exception {
    byte[] bytes = Files.readAllBytes(IsoWriter.ISOLINUX_BIN);
    bytes[bytes.length - 1] ^= 0x5a;
    Path other = Files.write(shared.resolve("other-isolinux.bin"), bytes);
    Path out = shared.resolve("out-other-isolinux");
    // Debian's file replaced by another in a mount namespace of the rebuild's own, as an upgrade or an edit leaves it
    CliRun run = CliRun.subprocess(List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
        "mount --bind \"$0\" " + IsoWriter.ISOLINUX_BIN + " && exec \"$@\"", other.toString()), Map.of(),
        rebuildArgs(original.resolve("buildinfo.json"), inputs, out));
    assertEquals(2, run.exitCode, run::toString);
    for (String part : List.of("host file " + IsoWriter.ISOLINUX_BIN + ": recorded sha256 "
        + Sha256.of(IsoWriter.ISOLINUX_BIN) + " (isolinux ", "here " + Sha256.of(bytes)
        + " (no installed Debian package ships it)", "apt-get install isolinux=")) {
      assertTrue(run.stderr.contains(part), () -> part + " not in:\n" + run);
    }
    assertFalse(Files.exists(out.resolve(ISO)), "nothing built");
  }

  private static String[] rebuildArgs(Path inputDir, Path out, String... more) {
    return rebuildArgs(original.resolve("buildinfo.json"), inputDir, out, more);
  }

  private static String[] rebuildArgs(Path buildinfo, Path inputDir, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("build", "--from-buildinfo",
        buildinfo.toString(), "--inputs", inputDir.toString(), "--out", out.toString(),
        "--cache-dir", cache.toString(), "--keys", keys.toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }
}
