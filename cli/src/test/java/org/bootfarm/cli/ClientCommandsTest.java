package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.Gate;
import org.bootfarm.worker.fixture.FixtureDefinitions;
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
 * The {@code bootfarm} client commands against a farm of separate JVMs (a coordinator with its TCP
 * bridge and a tokens file, one worker) building the fixture yum repo: submit --wait follows the
 * build to SUCCEEDED, fetch verifies every hash, logs prints the stored log and follows a running
 * one, cancel, repos, workers; and each error is one line with its exit code.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientCommandsTest {
  static final String TOKEN = "ci-client-token-0123456789abcdef";
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static String bridge;
  static Path tether;
  static Path unpack;
  static Path definition;
  /** Every build waits in staging.sh until the test lets it go on. */
  static final Gate GATE = new Gate("client-commands");
  /** The build test 2 fetched into {@code <dir>/fetched}. */
  static String succeeded;

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    farm = new FarmProcesses(dir);
    Path repos = Files.createDirectories(dir.resolve("repos"));
    definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    FixtureBuilds.gateInStaging(definition, GATE);
    Files.createDirectories(dir.resolve("keys"));
    Path tokens = Files.writeString(dir.resolve("tokens"), "# test clients\nci " + TOKEN + "\n");
    int bridgePort = FreePorts.one();
    bridge = "127.0.0.1:" + bridgePort;
    farm.start("coordinator", List.of("coordinator", "--bridge-port", String.valueOf(bridgePort), "--tokens",
        tokens.toString(), "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(), "--keys",
        dir.resolve("keys").toString(), "--http-port", String.valueOf(farm.httpPort), "--cluster-name", farm.cluster,
        "--cluster-port", String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    farm.startWorker("worker", List.of("--worker-id", "w-cli"));
    farm.awaitLine("worker", " ready: ", 90);
    tether = Files.writeString(dir.resolve("tether"), "#!/bin/sh\necho tether\n");
    unpack = Files.writeString(dir.resolve("unpack"), "#!/bin/sh\necho unpack\n");
  }

  @AfterAll
  static void stopFarm() {
    farm.close();
    repo.close();
  }

  static CliRun cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--farm", bridge, "--token", TOKEN));
    return CliRun.inProcess(all.toArray(String[]::new));
  }

  static String submitted(CliRun run) {
    assertEquals(0, run.exitCode, run::toString);
    return run.stdout.strip();
  }

  @Test
  @Order(1)
  void reposAndWorkersShowTheFarm() throws Exception {
    CliRun repos = cli("repos", "--json");
    assertEquals(0, repos.exitCode, repos::toString);
    assertEquals(FixtureDefinitions.TDNF, repos.json().get("repos").get(0).get("name").asText(), repos::toString);
    String digest = RepoDefinitionLoader.digest(definition);
    assertEquals(digest, repos.json().get("repos").get(0).get("digest").asText(), repos::toString);
    CliRun table = cli("repos");
    assertTrue(table.stdout.contains(" " + digest.substring(0, 12) + " ")
        && !table.stdout.contains(digest.substring(0, 13)), table::toString);
    CliRun workers = Eventually.value(Duration.ofSeconds(10), Duration.ofMillis(200), () -> cli("workers"),
        run -> run.stdout.contains("w-cli"));
    assertTrue(workers.stdout.contains("w-cli") && workers.stdout.contains("tdnf"), workers::toString);
  }

  @Test
  @Order(2)
  void submitWaitFollowsTheBuildAndFetchVerifiesEveryHash() throws Exception {
    CliRun run;
    try (AutoCloseable open = GATE.keepOpening(dir)) {
      run = cli("submit", FixtureDefinitions.TDNF, "--component", "tether=" + tether, "--component",
          "unpack=" + unpack, "--wait");
    }
    assertEquals(0, run.exitCode, run::toString);
    for (String stage : List.of("base", "staging-bootstrap", "assemble")) {
      assertTrue(run.stdout.contains("[" + stage + "]"), "followed stage " + stage + ":\n" + run);
    }
    assertTrue(run.stdout.contains("SUCCEEDED"), run::toString);
    String id = run.stdout.lines().filter(l -> l.startsWith("build ")).findFirst().orElseThrow().split("\\s+")[1];
    succeeded = id;

    CliRun status = cli("status", id, "--json");
    JsonNode build = status.json();
    assertEquals("SUCCEEDED", build.get("state").asText(), status::toString);
    assertEquals("w-cli", build.get("worker").asText());

    Path out = dir.resolve("fetched");
    CliRun fetch = cli("fetch", id, "--out", out.toString());
    assertEquals(0, fetch.exitCode, fetch::toString);
    for (JsonNode artifact : build.get("artifacts")) {
      Path file = out.resolve(artifact.get("name").asText());
      assertEquals(artifact.get("sha256").asText(), Sha256.of(file), file::toString);
    }
    assertEquals(build.get("log").asText(), Sha256.of(out.resolve("build.log")));

    CliRun logs = cli("logs", id);
    assertEquals(0, logs.exitCode, logs::toString);
    assertTrue(logs.stdout.contains("[base]"), logs::toString);

    CliRun list = cli("list", "--repo", FixtureDefinitions.TDNF, "--state", "SUCCEEDED", "--json");
    assertTrue(list.json().get("builds").toString().contains(id), list::toString);
  }

  /**
   * The build of test 2, fetched: its ISO verifies with {@code bootfarm verify-provenance} against the keys {@code
   * bootfarm keys} printed, and its envelope with an independent verifier (Python, PAE from the DSSE specification,
   * libsodium's Ed25519 through python3-nacl) against {@code GET /api/v1/keys}; the statement names what the build
   * record says; tampering is refused; the worker holds no signing key.
   */
  @Test
  @Order(3)
  void theFetchedIsoVerifiesAgainstItsSignedProvenanceHereAndIndependently() throws Exception {
    JsonNode build = cli("status", succeeded, "--json").json();
    Path fetched = dir.resolve("fetched");
    Path provenance = fetched.resolve("provenance.intoto.jsonl");
    String isoName = StreamSupport.stream(build.get("artifacts").spliterator(), false)
        .map(a -> a.get("name").asText()).filter(n -> n.endsWith(".iso")).findFirst().orElseThrow();
    Path iso = fetched.resolve(isoName);

    CliRun keys = cli("keys");
    assertEquals(0, keys.exitCode, keys::toString);
    assertTrue(keys.stdout.startsWith("# keyid ") && keys.stdout.contains(" Ed25519 current\n-----BEGIN PUBLIC KEY-----"),
        keys::toString);
    Path keyFile = Files.writeString(dir.resolve("farm-keys.pub"), keys.stdout);
    CliRun verified = CliRun.inProcess("verify-provenance", iso.toString(), "--provenance", provenance.toString(),
        "--key", keyFile.toString(), "--json");
    assertEquals(0, verified.exitCode, verified::toString);
    JsonNode facts = verified.json();
    assertEquals(succeeded, facts.get("build").asText(), verified::toString);
    assertEquals(FixtureDefinitions.TDNF, facts.get("repo").asText());
    assertEquals("bootstrap", facts.get("target").asText());
    assertEquals(isoName, facts.get("subject").asText());

    HttpResponse<String> served = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + farm.httpPort + "/api/v1/keys")).header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, served.statusCode(), served::body);
    Path keysJson = Files.writeString(dir.resolve("keys.json"), served.body());
    Path script = dir.resolve("dsse_verify.py");
    try (InputStream in = ClientCommandsTest.class.getResourceAsStream("dsse_verify.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), provenance.toString(),
        keysJson.toString()).redirectErrorStream(true).start();
    String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, python.waitFor(), out);
    assertTrue(out.startsWith("verified " + facts.get("keyid").asText() + "\n"), out);
    JsonNode statement = new ObjectMapper().readTree(out.lines().skip(1).findFirst().orElseThrow());

    // the statement says what the build record says
    List<String> subjects = new ArrayList<>();
    statement.get("subject").forEach(s -> subjects.add(s.get("name").asText() + " " + s.at("/digest/sha256").asText()));
    List<String> outputs = new ArrayList<>();
    FarmProcesses.outputs(build).forEach(a -> outputs.add(a.get("name").asText() + " " + a.get("sha256").asText()));
    assertEquals(outputs, subjects);
    JsonNode external = statement.at("/predicate/buildDefinition/externalParameters");
    assertEquals(build.get("repo").asText(), external.get("repo").asText());
    assertEquals(build.get("definitionDigest").asText(), external.get("definitionDigest").asText());
    assertEquals(build.get("components"), external.get("components"));
    assertEquals(succeeded, statement.at("/predicate/runDetails/metadata/invocationId").asText());
    assertEquals(Instant.parse(build.get("startedAt").asText()),
        Instant.parse(statement.at("/predicate/runDetails/metadata/startedOn").asText()));
    Instant finishedOn = Instant.parse(statement.at("/predicate/runDetails/metadata/finishedOn").asText());
    assertTrue(!finishedOn.isAfter(Instant.parse(build.get("finishedAt").asText())), statement::toString);
    assertEquals(build.get("log").asText(), statement.at("/predicate/runDetails/byproducts/0/digest/sha256").asText());
    JsonNode buildinfo = new ObjectMapper().readTree(fetched.resolve("buildinfo.json").toFile());
    assertEquals(buildinfo.get("sourceDateEpoch"), external.get("sourceDateEpoch"));
    List<String> dependencies = new ArrayList<>();
    statement.at("/predicate/buildDefinition/resolvedDependencies")
        .forEach(d -> dependencies.add(d.at("/digest/sha256").asText()));
    for (JsonNode locked : buildinfo.at("/lock/packages")) {
      assertTrue(dependencies.contains(locked.get("sha256").asText()), "package " + locked + " in " + dependencies);
    }

    // tampering
    byte[] bytes = Files.readAllBytes(iso);
    bytes[bytes.length / 2] ^= 1;
    Path changed = Files.write(dir.resolve(isoName), bytes);
    CliRun oneByte = CliRun.inProcess("verify-provenance", changed.toString(), "--provenance", provenance.toString(),
        "--key", keyFile.toString());
    assertEquals(1, oneByte.exitCode, oneByte::toString);
    assertTrue(oneByte.stderr.contains("NOT VERIFIED: " + isoName + " has sha256"), oneByte::toString);
    String envelope = Files.readString(provenance);
    Path truncated = Files.writeString(dir.resolve("truncated.jsonl"), envelope.substring(0, envelope.length() / 3));
    CliRun cut = CliRun.inProcess("verify-provenance", iso.toString(), "--provenance", truncated.toString(), "--key",
        keyFile.toString());
    assertEquals(2, cut.exitCode, cut::toString);
    assertTrue(cut.stderr.contains("ends early") && cut.stderr.contains("truncated"), cut::toString);
    Path otherKey = Files.writeString(dir.resolve("other.pub"), new org.bootfarm.protocol.provenance.FarmSigningKey(
        java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic()).pem());
    CliRun unknown = CliRun.inProcess("verify-provenance", iso.toString(), "--provenance", provenance.toString(),
        "--key", otherKey.toString());
    assertEquals(1, unknown.exitCode, unknown::toString);
    assertTrue(unknown.stderr.contains("which is not among the keys given"), unknown::toString);

    // only the coordinator holds a key
    try (Stream<Path> files = Files.walk(dir.resolve("worker"))) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".key")
          && !f.toString().contains("/member")).toList(), "the worker holds no signing key");
    }
    assertTrue(Files.exists(dir.resolve("c/coordinator/signing/signing.key")), "the coordinator made its key");
  }

  @Test
  @Order(4)
  void logsFollowsARunningBuildAndCancelStopsAQueuedOne() throws Exception {
    String running = submitted(cli("submit", FixtureDefinitions.TDNF, "--component", "tether=" + tether,
        "--component", "unpack=" + unpack));
    String queued = submitted(cli("submit", FixtureDefinitions.TDNF, "--component", "tether=" + tether,
        "--component", "unpack=" + unpack));

    CliRun cancel = cli("cancel", queued);
    assertEquals(0, cancel.exitCode, cancel::toString);
    assertTrue(cancel.stdout.contains("CANCELLED"), cancel::toString);
    CliRun again = cli("cancel", queued);
    assertEquals(2, again.exitCode, again::toString);
    assertTrue(again.stderr.contains("can no longer be cancelled"), again::toString);

    CliRun follow;
    try (AutoCloseable open = GATE.keepOpening(dir)) {
      follow = cli("logs", "-f", running);
    }
    assertEquals(0, follow.exitCode, follow::toString);
    // followed live from wherever the build is, or (the fixture build is quick once base comes from the stage
    // cache) ended before or while the follow began: the stored log is printed then; either way it ends so
    assertTrue(follow.stdout.contains("[build] SUCCEEDED"), follow::toString);
    assertEquals("SUCCEEDED", cli("status", running, "--json").json().get("state").asText());
  }

  @Test
  @Order(5)
  void everyErrorIsOneLineAndItsExitCode() {
    CliRun unknownRepo = cli("submit", "no-such-repo");
    assertEquals(2, unknownRepo.exitCode, unknownRepo::toString);
    assertTrue(unknownRepo.stderr.contains("'no-such-repo'"), unknownRepo::toString);

    CliRun unknownBuild = cli("status", "no-such-build");
    assertEquals(2, unknownBuild.exitCode, unknownBuild::toString);
    assertTrue(unknownBuild.stderr.contains("no build no-such-build"), unknownBuild::toString);

    CliRun badToken = CliRun.inProcess("repos", "--farm", bridge, "--token", "not-the-token-0123456789");
    assertEquals(3, badToken.exitCode, badToken::toString);
    assertTrue(badToken.stderr.contains("token is not valid"), badToken::toString);
    assertEquals(1, badToken.stderr.strip().lines().count(), badToken::toString);

    CliRun unreachable = CliRun.inProcess("workers", "--farm", "127.0.0.1:1", "--token", TOKEN);
    assertEquals(3, unreachable.exitCode, unreachable::toString);
    assertTrue(unreachable.stderr.contains("cannot reach the farm at 127.0.0.1:1"), unreachable::toString);
    assertFalse(unreachable.stderr.contains("Exception\n\tat"), "no stack trace: " + unreachable);
  }
}
