package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance on a farm of separate JVMs on 127.0.0.1 (a coordinator started with
 * {@code --appliance-repo fixture-appliance}, two tdnf workers, the fixture yum repo): an appliance of
 * another repo is refused over HTTP and over the bridge, naming the appliance repo and the flag; the
 * appliance of the appliance repo builds; the bootstrap of the same repo on the same worker takes its
 * base stage from that worker's stage cache (same sha256, log says so); and {@code bootfarm nightly}
 * pairs both targets of the appliance repo, each side built from scratch, REPRODUCIBLE.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApplianceProcessesTest {
  static final String TOKEN = "appliance-client-token-0123456789abcdef";
  static final String APPLIANCE_REPO = "fixture-appliance";
  static final String OTHER = "fixture-other";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static String bridge;
  static Map<String, String> applianceComponents;
  static JsonNode appliance;

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    farm = new FarmProcesses(dir);
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureBuilds.writeTdnfDefinitionAs(repo, dir.resolve("scratch"), repos, APPLIANCE_REPO, "");
    FixtureBuilds.writeTdnfDefinitionAs(repo, dir.resolve("scratch"), repos, OTHER, "");
    Files.createDirectories(dir.resolve("keys"));
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci " + TOKEN + " admin\n");
    int bridgePort = FreePorts.one();
    bridge = "127.0.0.1:" + bridgePort;
    farm.start("coordinator", List.of("coordinator", "--nightly", "off", "--appliance-repo", APPLIANCE_REPO,
        "--bridge-port", String.valueOf(bridgePort), "--tokens", tokens.toString(),
        "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", dir.resolve("keys").toString(), "--http-port", String.valueOf(farm.httpPort), "--cluster-name",
        farm.cluster, "--cluster-port", String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    for (String worker : List.of("appliance-a", "appliance-b")) {
      farm.startWorker(worker, List.of("--worker-id", worker, "--package-managers", "tdnf"));
    }
    farm.awaitLine("appliance-a", " ready: ", 90);
    farm.awaitLine("appliance-b", " ready: ", 90);
    Eventually.value(Duration.ofSeconds(30), () -> farm.get("/api/v1/workers").get("workers").size(), n -> n >= 2);
    applianceComponents = new TreeMap<>();
    for (String name : RepoSpec.COMPONENTS.get("appliance")) {
      applianceComponents.put(name, farm.upload("#!/bin/sh\necho " + name + " stand-in\n"));
    }
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  @Order(1)
  void applianceOfAnotherRepoIsRefusedOverHttpAndTheBridge() throws Exception {
    HttpResponse<String> refused = post(OTHER, "appliance", applianceComponents);
    assertEquals(400, refused.statusCode(), refused::body);
    assertTrue(refused.body().contains("only from its appliance repo '" + APPLIANCE_REPO + "', not from '" + OTHER + "'"),
        refused::body);
    assertTrue(refused.body().contains("--appliance-repo"), refused::body);

    Path vicInit = Files.writeString(dir.resolve("vic-init"), "#!/bin/sh\n");
    CliRun cli = CliRun.inProcess("submit", OTHER, "--target", "appliance", "--component", "vic-init=" + vicInit,
        "--farm", bridge, "--token", TOKEN);
    assertEquals(2, cli.exitCode, cli::toString);
    assertTrue(cli.stderr.contains("appliance repo '" + APPLIANCE_REPO + "'"), cli::toString);

    JsonNode repos = farm.get("/api/v1/repos");
    for (JsonNode info : repos.get("repos")) {
      String expected = info.get("name").asText().equals(APPLIANCE_REPO) ? "[\"bootstrap\",\"appliance\"]" : "[\"bootstrap\"]";
      assertEquals(expected, info.get("targets").toString(), info::toString);
    }
  }

  @Test
  @Order(2)
  void applianceOfTheApplianceRepoBuilds() throws Exception {
    HttpResponse<String> submitted = post(APPLIANCE_REPO, "appliance", applianceComponents);
    assertEquals(201, submitted.statusCode(), submitted::body);
    appliance = farm.awaitBuild(FarmProcesses.JSON.readTree(submitted.body()).get("id").asText(),
        FarmProcesses::finished);
    assertEquals("SUCCEEDED", appliance.get("state").asText(), appliance::toString);
    assertTrue(appliance.get("artifacts").toString().contains("\"appliance.iso\""), appliance::toString);
  }

  @Test
  @Order(3)
  void bootstrapOfTheSameRepoOnTheSameWorkerTakesBaseFromTheStageCache() throws Exception {
    Map<String, String> bootstrapComponents = new TreeMap<>(Map.of("tether", farm.upload("tether\n"),
        "unpack", applianceComponents.get("unpack")));
    HttpResponse<String> submitted = post(APPLIANCE_REPO, "bootstrap", bootstrapComponents);
    assertEquals(201, submitted.statusCode(), submitted::body);
    JsonNode bootstrap = farm.awaitBuild(FarmProcesses.JSON.readTree(submitted.body()).get("id").asText(),
        FarmProcesses::finished);
    assertEquals("SUCCEEDED", bootstrap.get("state").asText(), bootstrap::toString);
    // placement is by repo: the same worker, whose stage cache holds the appliance's base
    assertEquals(appliance.get("worker").asText(), bootstrap.get("worker").asText());
    assertEquals(baseStage(appliance), baseStage(bootstrap));
    String log = new String(farm.download(bootstrap.get("log").asText()), StandardCharsets.UTF_8);
    assertTrue(log.contains("stage cache: base from cache"), log);
  }

  @Test
  @Order(4)
  void nightlyPairsBothTargetsOfTheApplianceRepoFromScratch() throws Exception {
    CliRun run = CliRun.inProcess("nightly", "--now", "--wait", "--json", "--patience", "10m", "--farm", bridge,
        "--token", TOKEN);
    JsonNode latest = farm.get("/api/v1/nightly/latest");
    assertEquals(0, run.exitCode, () -> run + "\n" + latest);
    List<String> pairs = new java.util.ArrayList<>();
    for (JsonNode pair : latest.get("pairs")) {
      pairs.add(pair.get("repo").asText() + " " + pair.get("target").asText() + " " + pair.get("outcome").asText());
      assertNotEquals(pair.get("leftWorker").asText(), pair.get("rightWorker").asText(), pair::toString);
      for (String side : List.of("left", "right")) {
        JsonNode build = farm.get("/api/v1/builds/" + pair.get(side).asText());
        String log = new String(farm.download(build.get("log").asText()), StandardCharsets.UTF_8);
        assertTrue(log.contains("from scratch: the stage cache is neither used nor filled"), log);
        assertFalse(log.contains("stage cache: base from cache"), log);
      }
    }
    assertEquals(List.of(APPLIANCE_REPO + " appliance REPRODUCIBLE", APPLIANCE_REPO + " bootstrap REPRODUCIBLE",
        OTHER + " bootstrap REPRODUCIBLE"), pairs.stream().sorted().toList(), latest::toString);
    assertTrue(latest.get("notes").toString().contains(OTHER + ": target appliance not built, this farm builds the"
        + " appliance only from '" + APPLIANCE_REPO + "'"), latest::toString);
  }

  /** The sha256 of the build's base stage, from its buildinfo artifact. */
  private static String baseStage(JsonNode build) throws Exception {
    for (JsonNode artifact : build.get("artifacts")) {
      if (artifact.get("name").asText().equals("buildinfo.json")) {
        return FarmProcesses.JSON.readTree(farm.download(artifact.get("sha256").asText()))
            .get("stages").get("base").asText();
      }
    }
    throw new AssertionError("no buildinfo.json among " + build.get("artifacts"));
  }

  private static HttpResponse<String> post(String repoName, String target, Map<String, String> components)
      throws Exception {
    return farm.post(repoName, target, components);
  }
}
