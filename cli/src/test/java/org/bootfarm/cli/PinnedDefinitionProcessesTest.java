package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's check of pinned definitions with real processes (docs/adr/0034): a coordinator without a worker
 * accepts build 1; its definition's base.sh is then edited to write a marker into the image; the coordinator
 * notices (its log says so) and accepts build 2; a SIGHUP makes it read every definition again without ending it;
 * then a worker joins and builds both against the fixture yum repository. Build 1 is built from the bytes it was
 * submitted with (no marker), build 2 from the new ones, and each record names the digest of its submission.
 */
@Tag("process")
class PinnedDefinitionProcessesTest {
  private static final String MARKER = "etc/pinned-marker";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static Path definition;
  static Process coordinator;

  @BeforeAll
  static void startCoordinator() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    farm = new FarmProcesses(dir);
    coordinator = farm.startCoordinator("coordinator", dir.resolve("c"), repos, Files.createDirectories(dir.resolve("keys")));
  }

  @AfterAll
  static void stop() {
    farm.close();
    repo.close();
  }

  @Test
  void definitionEditedAfterSubmitIsNotBuiltButABuildSubmittedAfterTheReloadBuildsIt() throws Exception {
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
    String submitted = RepoDefinitionLoader.digest(definition);
    String first = farm.submit(FixtureDefinitions.TDNF, components);
    assertEquals(submitted, farm.get("/api/v1/builds/" + first).get("definitionDigest").asText());

    Files.writeString(definition.resolve("base.sh"), String.join("\n", "",
        "mkdir -p \"$(rootfs_dir \"$PKGDIR\")/etc\"",
        "echo pinned > \"$(rootfs_dir \"$PKGDIR\")/" + MARKER + "\"", ""), StandardOpenOption.APPEND);
    String edited = RepoDefinitionLoader.digest(definition);
    assertNotEquals(submitted, edited);
    farm.awaitLine("coordinator", "repos: " + FixtureDefinitions.TDNF + " changed, digest "
        + submitted.substring(0, 12) + " -> " + edited.substring(0, 12) + "; builds submitted from now on build it", 30);

    String second = farm.submit(FixtureDefinitions.TDNF, components);
    assertEquals(edited, farm.get("/api/v1/builds/" + second).get("definitionDigest").asText());

    assertEquals(0, new ProcessBuilder("kill", "-HUP", String.valueOf(coordinator.pid())).start().waitFor());
    farm.awaitLine("coordinator", "repos: SIGHUP: read every definition again, nothing changed", 30);
    assertTrue(coordinator.isAlive(), "SIGHUP ended the coordinator");
    assertEquals("QUEUED", farm.get("/api/v1/builds/" + first).get("state").asText(), "it still answers");

    farm.startWorker("worker", List.of());
    JsonNode firstBuild = farm.awaitBuild(first, FarmProcesses::finished);
    JsonNode secondBuild = farm.awaitBuild(second, FarmProcesses::finished);
    assertEquals("SUCCEEDED", firstBuild.get("state").asText(), () -> firstBuild + "\n" + log(firstBuild));
    assertEquals("SUCCEEDED", secondBuild.get("state").asText(), () -> secondBuild + "\n" + log(secondBuild));
    assertEquals(submitted, firstBuild.get("definitionDigest").asText());
    assertEquals(edited, secondBuild.get("definitionDigest").asText());
    assertEquals(List.of(), markers(firstBuild), "build 1 ran the base.sh it was submitted with");
    assertEquals(1, markers(secondBuild).size(), () -> "build 2 ran the edited base.sh: " + secondBuild);
  }

  /** The manifest entries of the build's images that are the marker file. */
  private static List<String> markers(JsonNode build) throws Exception {
    JsonNode manifest = FarmProcesses.JSON.readTree(farm.download(artifact(build, "manifest.json")));
    List<String> found = new ArrayList<>();
    for (JsonNode entry : manifest.has("entries") ? manifest.get("entries") : manifest) {
      if (entry.get("path").asText().endsWith(MARKER)) {
        found.add(entry.get("image").asText() + ":" + entry.get("path").asText());
      }
    }
    return found;
  }

  private static String log(JsonNode build) {
    try {
      String worker = farm.logText("worker");
      return (build.has("log") ? new String(farm.download(build.get("log").asText())) : "(no build log)")
          + "\n--- worker log (end) ---\n" + worker.substring(Math.max(0, worker.length() - 6000));
    } catch (Exception e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private static String artifact(JsonNode build, String name) {
    for (JsonNode artifact : build.get("artifacts")) {
      if (artifact.get("name").asText().equals(name)) {
        return artifact.get("sha256").asText();
      }
    }
    throw new AssertionError("no " + name + " among the artifacts of " + build);
  }
}
