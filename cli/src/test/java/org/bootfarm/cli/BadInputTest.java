package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input gets a clear error naming what is wrong, the documented exit code, and
 * leaves nothing published in the out directory and nothing unverified in the package cache.
 */
@Tag("tool")
class BadInputTest {
  static FixtureYumRepo good;
  @TempDir static Path shared;
  static Path keys;

  @BeforeAll
  static void start() throws Exception {
    good = FixtureYumRepo.start();
    keys = Files.createDirectories(shared.resolve("no-keys"));
  }

  @AfterAll
  static void stop() {
    good.close();
  }

  /** Runs a build of the definition and checks the outcome common to every bad input. */
  private static CliRun build(Path dir, Path definition, Map<String, Path> components, int expectedExit,
      String... mentioned) throws Exception {
    Path out = dir.resolve("out");
    CliRun run = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, out, dir.resolve("cache"), keys)
        .toArray(String[]::new));
    assertEquals(expectedExit, run.exitCode, run::toString);
    assertEquals("FAILED", run.json().get("status").asText());
    String error = run.json().get("error").asText();
    for (String word : mentioned) {
      assertTrue(error.contains(word), () -> "error should mention '" + word + "': " + error);
    }
    assertEquals(List.of(), FixtureBuilds.files(out), "a failed build publishes nothing");
    return run;
  }

  private static Path definition(Path dir, FixtureYumRepo repo) throws IOException {
    return FixtureDefinitions.write(dir, FixtureDefinitions.TDNF, repo);
  }

  private static void editSpec(Path definition, Consumer<ObjectNode> edit) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Path spec = definition.resolve("repo-spec.json");
    ObjectNode node = (ObjectNode) json.readTree(spec.toFile());
    edit.accept(node);
    json.writerWithDefaultPrettyPrinter().writeValue(spec.toFile(), node);
  }

  private static List<Path> cachedPackages(Path dir, String name) throws IOException {
    return FixtureBuilds.files(dir.resolve("cache/repos")).stream()
        .filter(p -> p.getFileName().toString().startsWith(name + "-") && p.toString().endsWith(".rpm"))
        .toList();
  }

  @Test
  void malformedJsonNamesTheFile(@TempDir Path dir) throws Exception {
    Path definition = definition(dir, good);
    Files.writeString(definition.resolve("repo-spec.json"), "{ \"name\": \"fixture-tdnf\", ");
    build(dir, definition, FixtureBuilds.components(dir.resolve("c")), 2, "repo-spec.json");
  }

  @Test
  void missingRequiredFieldIsNamed(@TempDir Path dir) throws Exception {
    Path definition = definition(dir, good);
    editSpec(definition, spec -> spec.remove("kernel"));
    build(dir, definition, FixtureBuilds.components(dir.resolve("c")), 2, "repo-spec.json", "kernel");
  }

  @Test
  void unknownPackageManagerListsTheKnownOnes(@TempDir Path dir) throws Exception {
    Path definition = definition(dir, good);
    editSpec(definition, spec -> spec.put("packagemanager", "zypper"));
    build(dir, definition, FixtureBuilds.components(dir.resolve("c")), 2, "zypper", "tdnf", "apt");
  }

  @Test
  void packageThatDoesNotExistIsNamed(@TempDir Path dir) throws Exception {
    Path definition = definition(dir, good);
    editSpec(definition, spec -> ((ObjectNode) spec.get("packages")).put("base", "filesystem no-such-package"));
    CliRun run = build(dir, definition, FixtureBuilds.components(dir.resolve("c")), 1, "no-such-package");
    assertEquals("PACKAGE", run.json().get("errorKind").asText());
  }

  @Test
  void unreachableRepositoryIsNamedByAddress(@TempDir Path dir) throws Exception {
    String url = FixtureYumRepo.unreachableUrl();
    Path definition = FixtureDefinitions.write(dir, FixtureDefinitions.TDNF, url);
    CliRun run = build(dir, definition, FixtureBuilds.components(dir.resolve("c")), 1,
        url.replaceFirst("^http://", "").replaceAll("/$", ""));
    assertEquals("NETWORK", run.json().get("errorKind").asText());
  }

  @Test
  void packageWhoseChecksumMismatchesIsRejectedAndNotCached(@TempDir Path dir) throws Exception {
    try (FixtureYumRepo corrupt = FixtureYumRepo.start(FixtureYumRepo.Variant.CORRUPT_PACKAGE)) {
      CliRun run = build(dir, definition(dir, corrupt), FixtureBuilds.components(dir.resolve("c")), 1,
          FixtureYumRepo.DAMAGED_PACKAGE);
      assertEquals("INTEGRITY", run.json().get("errorKind").asText());
      assertEquals(List.of(), cachedPackages(dir, FixtureYumRepo.DAMAGED_PACKAGE));
    }
  }

  @Test
  void unsignedPackageIsRejectedWithGpgcheckOn(@TempDir Path dir) throws Exception {
    try (FixtureYumRepo unsigned = FixtureYumRepo.start(FixtureYumRepo.Variant.UNSIGNED_PACKAGE)) {
      CliRun run = build(dir, definition(dir, unsigned), FixtureBuilds.components(dir.resolve("c")), 1,
          FixtureYumRepo.DAMAGED_PACKAGE);
      assertEquals("INTEGRITY", run.json().get("errorKind").asText());
      assertEquals(List.of(), cachedPackages(dir, FixtureYumRepo.DAMAGED_PACKAGE));
    }
  }

  @Test
  void failingHookIsNamedWithItsExitCode(@TempDir Path dir) throws Exception {
    Path definition = definition(dir, good);
    Files.writeString(definition.resolve("base.sh"), "#!/bin/bash\necho preparing\nexit 3\n");
    CliRun run = build(dir, definition, FixtureBuilds.components(dir.resolve("c")), 1, "base.sh", "3");
    assertEquals("HOOK", run.json().get("errorKind").asText());
  }

  @Test
  void missingComponentIsNamed(@TempDir Path dir) throws Exception {
    Path definition = definition(dir, good);
    Map<String, Path> components = new HashMap<>(FixtureBuilds.components(dir.resolve("c")));
    components.remove("tether");
    build(dir, definition, components, 2, "tether", "--component");
  }
}
