package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The action cache serves a build only when the engine's code and the host files its ISO carries are the ones the
 * stored build had (ADR 0067): {@code bootfarm build} of an unchanged fixture definition, run as its own process, is
 * served from the cache; the same build with another isolinux.bin on the machine (bind-mounted over Debian's in a
 * mount namespace of its own, as an upgrade or a local edit would leave it) and the same build by other code
 * (bootfarm's {@code /bin/bootstrap} resource replaced ahead of the classpath, as another jar would) run, and their
 * ISOs carry what this machine and this code make now, where a cached copy would carry the old bytes.
 */
@Tag("tool")
class ActionCacheKnowsCodeAndHostFilesTest {
  private static final String ISO = "bootstrap-fixture-tdnf.iso";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static Path definition;
  static Map<String, Path> components;
  static final Map<String, CliRun> RUNS = new java.util.TreeMap<>();
  static byte[] otherIsolinux;
  static byte[] otherBootstrap;

  @BeforeAll
  static void buildThenAgainThenOnAnotherMachineAndByOtherCode() throws Exception {
    repo = FixtureYumRepo.start();
    definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    components = FixtureBuilds.components(dir.resolve("components"));
    Files.createDirectories(dir.resolve("keys"));
    build("first", List.of(), null);
    build("again", List.of(), null);

    otherIsolinux = Files.readAllBytes(IsoWriter.ISOLINUX_BIN);
    otherIsolinux[otherIsolinux.length - 1] ^= 0x5a;
    Path isolinux = Files.write(dir.resolve("isolinux.bin"), otherIsolinux);
    build("other-isolinux", List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
        "mount --bind \"$0\" " + IsoWriter.ISOLINUX_BIN + " && exec \"$@\"", isolinux.toString()), null);

    Path code = dir.resolve("other-code");
    Path bootstrap = code.resolve("org/bootfarm/worker/assemble/bootstrap");
    Files.createDirectories(bootstrap.getParent());
    try (InputStream in = IsoWriter.class.getResourceAsStream("/org/bootfarm/worker/assemble/bootstrap")) {
      otherBootstrap = (new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
          + "# a later bootfarm's /bin/bootstrap\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    Files.write(bootstrap, otherBootstrap);
    build("other-code", List.of(), code);
  }

  @AfterAll
  static void stopRepository() {
    repo.close();
  }

  private static void build(String name, List<String> wrapper, Path codeFirst) throws Exception {
    List<String> args = new ArrayList<>(FixtureBuilds.buildArgs(definition, components, dir.resolve(name),
        dir.resolve("cache"), dir.resolve("keys")));
    RUNS.put(name, CliRun.subprocess(wrapper, Map.of(), codeFirst, args.toArray(String[]::new)));
  }

  private static JsonNode result(String name) throws Exception {
    CliRun run = RUNS.get(name);
    assertEquals(0, run.exitCode, run::toString);
    return run.json();
  }

  @Test
  void anUnchangedBuildIsServedFromTheCache() throws Exception {
    assertFalse(result("first").has("cachedFrom"), RUNS.get("first")::toString);
    assertEquals("buildinfo:" + Sha256.of(dir.resolve("first/buildinfo.json")),
        result("again").path("cachedFrom").asText(), RUNS.get("again")::toString);
  }

  @Test
  void anotherIsolinuxBinOnTheMachineMakesTheBuildRunAndTheIsoCarryIt() throws Exception {
    JsonNode other = result("other-isolinux");
    assertFalse(other.has("cachedFrom"), () -> "served the ISO of the old isolinux.bin:\n" + RUNS.get("other-isolinux"));
    assertNotEquals(Sha256.of(dir.resolve("first").resolve(ISO)), Sha256.of(dir.resolve("other-isolinux").resolve(ISO)));
    JsonNode recorded = FixtureBuilds.json(dir.resolve("other-isolinux/buildinfo.json"))
        .path("hostFiles").path(IsoWriter.ISOLINUX_BIN.toString());
    assertEquals(Sha256.of(otherIsolinux), recorded.path("sha256").asText(), recorded::toString);
    assertFalse(recorded.has("package"), () -> "an edited file is no package's: " + recorded);
    JsonNode original = FixtureBuilds.json(dir.resolve("first/buildinfo.json"))
        .path("hostFiles").path(IsoWriter.ISOLINUX_BIN.toString());
    assertEquals(Sha256.of(IsoWriter.ISOLINUX_BIN), original.path("sha256").asText(), original::toString);
    assertTrue(original.path("package").asText().startsWith("isolinux "), original::toString);
  }

  @Test
  void otherCodeMakesTheBuildRunAndItsOutputsAreThatCodesOwn() throws Exception {
    JsonNode other = result("other-code");
    assertFalse(other.has("cachedFrom"), () -> "served what the old code made:\n" + RUNS.get("other-code"));
    assertEquals(Sha256.of(otherBootstrap),
        FixtureBuilds.manifest(dir.resolve("other-code")).get("initramfs:bin/bootstrap").path("sha256").asText());
    String builder = FixtureBuilds.json(dir.resolve("first/buildinfo.json")).path("builder").asText();
    String otherBuilder = FixtureBuilds.json(dir.resolve("other-code/buildinfo.json")).path("builder").asText();
    assertTrue(builder.matches("bootfarm-dev\\+engine\\.[0-9a-f]{64}"), builder);
    assertNotEquals(builder, otherBuilder, "the builder names the code");
  }
}
