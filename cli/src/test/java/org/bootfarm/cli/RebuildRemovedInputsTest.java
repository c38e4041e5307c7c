package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.bootfarm.worker.build.Target;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build whose staging removes a package it installed ({@code packages_script_staging: "erase toybox"} of the
 * fixture appliance, toybox installed in base) is rebuildable from its record: the buildinfo lists toybox under
 * {@code lock.removed} with its sha256, the build archives its file, and {@code build --from-buildinfo --inputs}
 * with the repository gone gives the same ISO and buildinfo without a connection upstream.
 */
@Tag("tool")
class RebuildRemovedInputsTest {
  private static final String ISO = "appliance.iso";

  @TempDir Path dir;

  @Test
  void anApplianceThatErasesABasePackageIsRebuiltBitForBitFromItsRecord() throws Exception {
    Path keys = Files.createDirectories(dir.resolve("no-keys"));
    Path cache = dir.resolve("cache");
    Path original = dir.resolve("original");
    Map<String, Path> components = applianceComponents();
    Path definition;
    int port;
    JsonNode result;
    try (FixtureYumRepo repo = FixtureYumRepo.start()) {
      port = URI.create(repo.baseUrl()).getPort();
      definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
      List<String> args = new ArrayList<>(FixtureBuilds.buildArgs(definition, components, original, cache, keys));
      args.addAll(List.of("--target", "appliance"));
      CliRun first = CliRun.inProcess(args.toArray(String[]::new));
      assertEquals(0, first.exitCode, first::toString);
      result = first.json();
    }
    JsonNode lock = new ObjectMapper().readTree(original.resolve("buildinfo.json").toFile()).get("lock");
    assertEquals(1, lock.get("removed").size(), lock::toString);
    JsonNode toybox = lock.get("removed").get(0);
    assertEquals("toybox", toybox.get("name").asText(), lock::toString);
    lock.get("packages").forEach(p -> assertTrue(!p.get("name").asText().equals("toybox"), lock::toString));
    String toyboxSha256 = toybox.get("sha256").asText();
    assertEquals("bootfarm-fixture", toybox.get("origin").get("repository").asText(), toybox::toString);
    JsonNode files = result.get("inputFiles");
    assertEquals(lock.get("packages").size() + 1, files.size(), result::toString);
    assertEquals(toyboxSha256, Sha256.of(Path.of(files.get(toyboxSha256).asText())), "the removed file is archived");

    // the inputs as bootfarm fetch --inputs lays them out
    Path inputs = dir.resolve("inputs");
    FixtureBuilds.writeInputs(inputs, definition, components, files, java.util.Set.of());

    try (Tripwire tripwire = Tripwire.on(port)) {
      Path out = dir.resolve("rebuilt");
      CliRun rebuild = CliRun.inProcess(rebuildArgs(original, inputs, out, cache, keys));
      assertEquals(0, rebuild.exitCode, rebuild::toString);
      assertEquals(Sha256.of(original.resolve(ISO)), Sha256.of(out.resolve(ISO)), "the same ISO, bit for bit");
      assertEquals(Files.readString(original.resolve("buildinfo.json")), Files.readString(out.resolve("buildinfo.json")),
          "the same buildinfo, removed packages and origins included");
      assertEquals(0, tripwire.connections(), "no connection to the definition's repository was tried");

      // without the removed package's file the rebuild is refused before anything is built, naming it
      Path partial = dir.resolve("partial");
      FixtureBuilds.copyTree(inputs, partial);
      try (Stream<Path> list = Files.list(partial.resolve("packages"))) {
        Files.delete(list.filter(p -> p.getFileName().toString().startsWith("toybox-")).findFirst().orElseThrow());
      }
      CliRun missing = CliRun.inProcess(rebuildArgs(original, partial, dir.resolve("out-partial"), cache, keys));
      assertEquals(2, missing.exitCode, missing::toString);
      assertTrue(missing.stderr.contains("package toybox-") && missing.stderr.contains("is not in "
          + partial.resolve("packages")), missing::toString);
      assertEquals(0, tripwire.connections());
    }
  }

  private static String[] rebuildArgs(Path original, Path inputDir, Path out, Path cache, Path keys) {
    return new String[] {"build", "--from-buildinfo", original.resolve("buildinfo.json").toString(), "--inputs",
        inputDir.toString(), "--out", out.toString(), "--cache-dir", cache.toString(), "--keys", keys.toString()};
  }

  /** The appliance's components from examples/components. */
  private static Map<String, Path> applianceComponents() {
    Map<String, Path> components = new java.util.HashMap<>();
    for (String name : Target.APPLIANCE.components()) {
      for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
        Path file = at.resolve("examples/components").resolve(name);
        if (Files.isRegularFile(file)) {
          components.put(name, file);
          break;
        }
      }
      if (!components.containsKey(name)) {
        throw new IllegalStateException("no examples/components/" + name + " above " + Path.of("").toAbsolutePath());
      }
    }
    return components;
  }
}
