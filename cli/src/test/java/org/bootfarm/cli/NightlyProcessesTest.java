package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.protocol.Sha256;
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
 * stage, on the JSON API, the HTML report and its diff report pages; only the REPRODUCIBLE pair carries a signed
 * reproducibility attestation, which {@code verify-provenance --reproduced} verifies naming both workers.
 * {@code bootfarm verify} rebuilds a build on the other worker and prints REPRODUCIBLE.
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
    long attesting = System.nanoTime();
    theReproduciblePairsAttestationVerifiesAndNamesBothWorkers(same);
    assertFalse(noise.has("attestation"), () -> "an UNREPRODUCIBLE pair is attested: " + noise);
    CliRun unattested = cli("fetch", "--pair", noise.get("id").asText(), "--out", dir.resolve("noise").toString());
    assertEquals(2, unattested.exitCode, unattested::toString); // refused, as every client command exits
    assertTrue(unattested.stderr.contains("is UNREPRODUCIBLE: only a REPRODUCIBLE pair has a signed attestation"),
        unattested::toString);
    assertTrue(Files.notExists(dir.resolve("noise")), "nothing is fetched for a pair without an attestation");
    System.out.println("reproducibility attestation checked in " + (System.nanoTime() - attesting) / 1_000_000
        + " ms");
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
    assertTrue(page.contains("<a href=\"/api/v1/artifacts/" + same.at("/attestation/sha256").asText() + "\""
        + " download=\"reproducibility.intoto.jsonl\">signed attestation</a>"), page);
    assertEquals(1, page.split("signed attestation").length - 1, "only the REPRODUCIBLE pair's row links one");
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
    assertTrue(shown.stdout.contains("  " + SAME + " bootstrap: bootfarm fetch --pair " + same.get("id").asText()),
        shown::toString);
    assertFalse(shown.stdout.contains("bootfarm fetch --pair " + noise.get("id").asText()), shown::toString);
  }

  /**
   * The pair's signed reproducibility attestation (ADR 0044), downloaded as an artifact, with side A's ISO and
   * provenance: {@code verify-provenance --reproduced} verifies it and names both workers; the independent Python
   * verifier (python3-nacl) checks its signature against {@code GET /api/v1/keys}; an edited copy is refused.
   */
  static void theReproduciblePairsAttestationVerifiesAndNamesBothWorkers(JsonNode pair) throws Exception {
    JsonNode attestation = pair.get("attestation");
    assertNotNull(attestation, () -> "a REPRODUCIBLE pair carries its signed attestation: " + pair);
    assertEquals("reproducibility.intoto.jsonl", attestation.get("name").asText());
    Path got = dir.resolve("attested");
    CliRun fetched = cli("fetch", "--pair", pair.get("id").asText(), "--out", got.toString());
    assertEquals(0, fetched.exitCode, fetched::toString);
    Path attested = got.resolve("reproducibility.intoto.jsonl");
    assertEquals(attestation.get("sha256").asText(), Sha256.of(attested), "fetch --pair writes the attestation");
    Path iso = null;
    for (JsonNode artifact : farm.get("/api/v1/builds/" + pair.get("left").asText()).get("artifacts")) {
      Path file = got.resolve(artifact.get("name").asText());
      assertEquals(artifact.get("sha256").asText(), Sha256.of(file), "fetch --pair writes side A's artifacts");
      iso = artifact.get("name").asText().endsWith(".iso") ? file : iso;
    }
    assertNotNull(iso, pair::toString);
    CliRun keys = cli("keys");
    assertEquals(0, keys.exitCode, keys::toString);
    Path keyFile = Files.writeString(dir.resolve("farm-keys.pub"), keys.stdout);
    // the README's path: the attestation beside the provenance, found without --attestation
    CliRun verified = CliRun.inProcess("verify-provenance", iso.toString(), "--provenance",
        got.resolve("provenance.intoto.jsonl").toString(), "--key", keyFile.toString(), "--reproduced", "--json");
    assertEquals(0, verified.exitCode, verified::toString);
    JsonNode reproduced = verified.json().get("reproduced");
    assertEquals(Set.of("nightly-a", "nightly-b"), Set.of(reproduced.at("/sideA/worker").asText(),
        reproduced.at("/sideB/worker").asText()), verified::toString);
    assertEquals(pair.get("right").asText(), reproduced.at("/sideB/build").asText(), verified::toString);

    Path keysJson = Files.writeString(dir.resolve("keys.json"), farm.get("/api/v1/keys").toString());
    Path script = dir.resolve("dsse_verify.py");
    try (InputStream in = NightlyProcessesTest.class.getResourceAsStream("dsse_verify.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), attested.toString(),
        keysJson.toString()).redirectErrorStream(true).start();
    String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, python.waitFor(), out);
    assertTrue(out.contains("\"predicateType\":\"urn:bootfarm:attestation:reproducibility:v1\"")
        && out.contains("\"verdict\":\"REPRODUCIBLE\""), out);

    String line = Files.readString(attested);
    JsonNode envelope = FarmProcesses.JSON.readTree(line);
    String payload = new String(Base64.getDecoder().decode(envelope.get("payload").asText()),
        StandardCharsets.UTF_8);
    Path edited = Files.writeString(dir.resolve("edited.intoto.jsonl"), line.replace(envelope.get("payload").asText(),
        Base64.getEncoder().encodeToString(payload.replace("nightly-b", "nightly-x")
            .getBytes(StandardCharsets.UTF_8))));
    CliRun refused = CliRun.inProcess("verify-provenance", iso.toString(), "--provenance",
        got.resolve("provenance.intoto.jsonl").toString(), "--key", keyFile.toString(), "--reproduced",
        "--attestation", edited.toString());
    assertEquals(1, refused.exitCode, refused::toString);
    assertTrue(refused.stderr.contains("NOT VERIFIED (--reproduced)"), refused::toString);
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
