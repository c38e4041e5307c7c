package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Nightly reproducibility pairs on a farm of separate JVMs on 127.0.0.1 (a coordinator with its bridge,
 * two tdnf workers, the fixture yum repo): {@code bootfarm nightly --now --wait} builds every repo on
 * both workers and judges the pairs; the fixture definition stays REPRODUCIBLE, a copy whose base.sh
 * writes 16 random bytes into {@code /etc/noise} is UNREPRODUCIBLE naming that file and the {@code base}
 * stage, on the JSON API, the HTML report and its diff report pages. {@code bootfarm verify} rebuilds
 * a build on the other worker and prints REPRODUCIBLE.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NightlyProcessesTest {
  static final String TOKEN = "nightly-client-token-0123456789abcdef";
  static final String SAME = "fixture-same";
  static final String NOISE = "fixture-noise";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static Path repos;
  static String bridge;
  static String firstBuild;

  @BeforeAll
  static void startFarmWithTwoWorkers() throws Exception {
    repo = FixtureYumRepo.start();
    farm = new FarmProcesses(dir);
    repos = Files.createDirectories(dir.resolve("repos"));
    writeTdnfDefinitionAs(SAME, "");
    writeTdnfDefinitionAs(NOISE, String.join("\n", "", "mkdir -p \"$(rootfs_dir \"$PKGDIR\")/etc\"",
        "head -c 16 /dev/urandom > \"$(rootfs_dir \"$PKGDIR\")/etc/noise\"", ""));
    Files.createDirectories(dir.resolve("keys"));
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci " + TOKEN + " admin\n");
    int bridgePort = FreePorts.one();
    bridge = "127.0.0.1:" + bridgePort;
    farm.start("coordinator", List.of("coordinator", "--nightly", "off", "--bridge-port", String.valueOf(bridgePort),
        "--tokens", tokens.toString(), "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", dir.resolve("keys").toString(), "--http-port", String.valueOf(farm.httpPort), "--cluster-name",
        farm.cluster, "--cluster-port", String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    for (String worker : List.of("nightly-a", "nightly-b")) {
      farm.startWorker(worker, List.of("--worker-id", worker, "--package-managers", "tdnf"));
    }
    farm.awaitLine("nightly-a", " ready: ", 90);
    farm.awaitLine("nightly-b", " ready: ", 90);
    Eventually.value(Duration.ofSeconds(30), () -> farm.get("/api/v1/workers").get("workers").size(), n -> n >= 2);
    // nightly builds reuse the components of the latest successful build: one build first
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
    firstBuild = farm.submit(SAME, components);
    JsonNode build = farm.awaitBuild(firstBuild, FarmProcesses::finished);
    assertEquals("SUCCEEDED", build.get("state").asText(), build::toString);
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

  /** The fixture tdnf definition under another name, with lines appended to its base.sh. */
  static void writeTdnfDefinitionAs(String name, String appendToBaseSh) throws Exception {
    FixtureBuilds.writeTdnfDefinitionAs(repo, dir.resolve("scratch"), repos, name, appendToBaseSh);
  }

  static CliRun cli(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--farm", bridge, "--token", TOKEN));
    return CliRun.inProcess(all.toArray(String[]::new));
  }

  static String html(String path) throws Exception {
    HttpResponse<String> page = FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create(farm.api + path)).header("Authorization", "Bearer " + farm.adminToken()).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode(), page::body);
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page::toString);
    return page.body();
  }

  static JsonNode pairOf(JsonNode run, String repoName) {
    for (JsonNode pair : run.get("pairs")) {
      if (pair.get("repo").asText().equals(repoName)) {
        return pair;
      }
    }
    throw new AssertionError("no pair of " + repoName + " in " + run);
  }

  @Test
  @Order(1)
  void nightlyNowJudgesTheCleanRepoReproducibleAndTheNoisyOneUnreproducibleAtBase() throws Exception {
    long began = System.nanoTime();
    CliRun run = cli("nightly", "--now", "--wait", "--json", "--patience", "10m");
    System.out.println("nightly --now --wait over 2 repos on 2 workers: " + (System.nanoTime() - began) / 1_000_000
        + " ms");
    assertEquals(1, run.exitCode, "a run with an unreproducible pair exits 1: " + run);
    JsonNode printed = FarmProcesses.JSON.readTree(run.stdout);
    assertTrue(printed.hasNonNull("finishedAt"), printed::toString);

    JsonNode latest = farm.get("/api/v1/nightly/latest");
    assertEquals(printed.get("id").asText(), latest.get("id").asText());
    assertEquals(2, latest.get("pairs").size(), latest::toString);
    assertTrue(latest.get("notes").toString().contains(SAME + ": target appliance not built, this farm builds the"
        + " appliance only from 'photon-2.0' (--appliance-repo)"), latest::toString);
    JsonNode same = pairOf(latest, SAME);
    assertEquals("REPRODUCIBLE", same.get("outcome").asText(), same::toString);
    assertNotEquals(same.get("leftWorker").asText(), same.get("rightWorker").asText(), same::toString);
    assertEquals(Set.of("nightly-a", "nightly-b"), Set.of(same.get("leftWorker").asText(),
        same.get("rightWorker").asText()));
    for (JsonNode artifact : same.get("verdict").get("artifacts")) {
      assertEquals(artifact.get("leftSha256").asText(), artifact.get("rightSha256").asText(), artifact::toString);
    }
    JsonNode noise = pairOf(latest, NOISE);
    assertEquals("UNREPRODUCIBLE", noise.get("outcome").asText(), noise::toString);
    assertNotEquals(noise.get("leftWorker").asText(), noise.get("rightWorker").asText(), noise::toString);
    JsonNode verdict = noise.get("verdict");
    assertEquals("base", verdict.get("firstDifferingStage").asText(), verdict::toString);
    boolean namesNoise = false;
    for (JsonNode file : verdict.get("files")) {
      namesNoise |= file.get("path").asText().equals("etc/noise") && file.get("image").asText().equals("initramfs");
    }
    assertTrue(namesNoise, () -> "etc/noise is not among the differing files: " + verdict.get("files"));
    assertEquals(latest.get("id").asText(), farm.get("/api/v1/nightly/" + latest.get("id").asText()).get("id")
        .asText());
    for (JsonNode build : List.of(same, noise)) {
      assertEquals("NIGHTLY", farm.get("/api/v1/builds/" + build.get("left").asText()).get("priority").asText());
    }
    for (String side : List.of("leftCache", "rightCache")) {
      JsonNode cache = same.get(side);
      assertNotNull(cache, () -> side + " is recorded with the pair: " + same);
      assertTrue(cache.get("fromCache").asInt() + cache.get("downloaded").asInt() > 0,
          () -> "the fixture installs packages, from the cache or downloaded: " + same);
    }

    String page = html("/nightly/latest");
    assertTrue(page.contains("<tr class=\"REPRODUCIBLE\"><td>" + SAME + "</td>"), page);
    assertTrue(page.contains("<tr class=\"UNREPRODUCIBLE\"><td>" + NOISE + "</td>"), page);
    assertTrue(page.contains("href=\"/verdicts/" + noise.get("id").asText() + "\""), page);
    assertEquals(page, html("/nightly/" + latest.get("id").asText()));
    // a browser sends no Bearer token: Chromium renders the page as fetched with one
    Path saved = Files.writeString(dir.resolve("latest.html"), page);
    String rendered = HeadlessChromium.dumpDom(saved.toUri().toString());
    assertTrue(rendered.contains("<tr class=\"REPRODUCIBLE\"><td>" + SAME + "</td>")
        && rendered.contains("<tr class=\"UNREPRODUCIBLE\"><td>" + NOISE + "</td>"),
        "headless Chromium shows every repo's row:\n" + rendered);
    String diffReport = html("/verdicts/" + noise.get("id").asText());
    assertTrue(diffReport.contains("<td>etc/noise</td>"), diffReport);
    assertTrue(diffReport.contains("UNREPRODUCIBLE"), diffReport);

    CliRun shown = cli("nightly");
    assertEquals(1, shown.exitCode, shown::toString);
    assertTrue(shown.stdout.lines().anyMatch(l -> l.startsWith(SAME) && l.contains("REPRODUCIBLE")), shown::toString);
    assertTrue(shown.stdout.lines().anyMatch(l -> l.startsWith(NOISE) && l.contains("UNREPRODUCIBLE")
        && l.contains("first differing stage base")), shown::toString);
  }

  @Test
  @Order(2)
  void verifyRebuildsABuildOnTheOtherWorkerAndPrintsReproducible() throws Exception {
    String builtOn = farm.get("/api/v1/builds/" + firstBuild).get("worker").asText();
    CliRun verify = cli("verify", firstBuild, "--json", "--patience", "5m");
    assertEquals(0, verify.exitCode, verify::toString);
    JsonNode pair = FarmProcesses.JSON.readTree(verify.stdout);
    assertEquals("REPRODUCIBLE", pair.get("outcome").asText(), pair::toString);
    assertEquals(firstBuild, pair.get("left").asText());
    assertEquals(builtOn, pair.get("leftWorker").asText());
    assertNotEquals(builtOn, pair.get("rightWorker").asText(), pair::toString);
    assertEquals("REPRODUCIBLE", farm.get("/api/v1/pairs/" + pair.get("id").asText()).get("outcome").asText());
  }
}
