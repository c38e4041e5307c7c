package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import org.bootfarm.testkit.Tripwire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
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
 * The farm keeps its own inputs (ADR 0037), on a coordinator and a worker as separate JVMs: a build of the
 * fixture yum repository archives every package it installed; with the fixture server stopped and a tripwire
 * listening on its port, {@code bootfarm rebuild ID --wait} builds the same ISO, bit for bit, from the archive
 * alone, and nothing connects to the upstream; {@code fetch --inputs} writes the record, with the trusted key the
 * definition named, that {@code build --from-buildinfo} turns into the same ISO on one machine without the farm's keys. Then the bad inputs: an archived package whose bytes were
 * overwritten in the coordinator's store fails the rebuild naming the hash mismatch, unused; one deleted
 * from the store refuses the rebuild, naming the package and how to pin builds.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RebuildFromRecordProcessesTest {
  static final String TOKEN = "rebuild-client-token-0123456789abcdef";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static String bridge;
  static String original;
  static JsonNode originalBuild;
  static Tripwire tripwire;

  @BeforeAll
  static void buildOnceAndStopTheUpstream() throws Exception {
    repo = FixtureYumRepo.start();
    farm = new FarmProcesses(dir);
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    // the key in the farm's trusted-keys directory, as the Photon definitions' VMWARE-RPM-GPG-KEY: an input the
    // record names and the farm archives (ADR 0067)
    Files.createDirectories(dir.resolve("keys"));
    Files.move(definition.resolve(FixtureDefinitions.KEY_FILE_NAME), dir.resolve("keys")
        .resolve(FixtureDefinitions.KEY_FILE_NAME));
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci " + TOKEN + " admin\n");
    int bridgePort = FreePorts.one();
    bridge = "127.0.0.1:" + bridgePort;
    farm.start("coordinator", List.of("coordinator", "--nightly", "off", "--bridge-port", String.valueOf(bridgePort),
        "--tokens", tokens.toString(), "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", dir.resolve("keys").toString(), "--http-port", String.valueOf(farm.httpPort), "--cluster-name",
        farm.cluster, "--cluster-port", String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    farm.startWorker("worker", List.of("--worker-id", "rebuilder", "--package-managers", "tdnf"));
    farm.awaitLine("worker", " ready: ", 90);
    Eventually.value(Duration.ofSeconds(30), () -> farm.get("/api/v1/workers").get("workers").size(), n -> n >= 1);
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
    original = farm.submit(FixtureDefinitions.TDNF, components);
    originalBuild = farm.awaitBuild(original, FarmProcesses::finished);
    assertEquals("SUCCEEDED", originalBuild.get("state").asText(), originalBuild::toString);
    int port = URI.create(repo.baseUrl()).getPort();
    repo.close();
    tripwire = Tripwire.on(port);
  }

  @AfterAll
  static void stopFarm() throws IOException {
    if (farm != null) {
      farm.close();
    }
    if (tripwire != null) {
      tripwire.close();
    }
  }

  static CliRun cli(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--farm", bridge, "--token", TOKEN));
    return CliRun.inProcess(all.toArray(String[]::new));
  }

  static String artifact(JsonNode build, String suffix) {
    for (JsonNode artifact : build.get("artifacts")) {
      if (artifact.get("name").asText().endsWith(suffix)) {
        return artifact.get("sha256").asText();
      }
    }
    throw new AssertionError("no artifact *" + suffix + " in " + build);
  }

  /** The locked packages of the original build, from its buildinfo in the farm's store. */
  static JsonNode lock() throws Exception {
    return FarmProcesses.JSON.readTree(farm.download(artifact(originalBuild, "buildinfo.json")))
        .get("lock").get("packages");
  }

  /** The whole log of {@code build}, from the farm's store. */
  static String buildLog(JsonNode build) throws Exception {
    return new String(farm.download(build.get("log").asText()), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The file of object {@code sha256} in the coordinator's artifact store. */
  static Path storedObject(String sha256) throws IOException {
    try (Stream<Path> walk = Files.walk(dir.resolve("c"))) {
      return walk.filter(p -> p.getFileName().toString().equals(sha256)).findFirst()
          .orElseThrow(() -> new AssertionError("the coordinator's store holds no object " + sha256));
    }
  }

  @Test
  @Order(1)
  void aRebuildWithTheUpstreamGoneBuildsTheSameIsoFromTheArchiveAlone() throws Exception {
    String archived = buildLog(originalBuild);
    assertTrue(archived.lines().anyMatch(l -> l.matches(".*archived [1-9][0-9]* new input\\(s\\), [0-9]+ bytes;"
        + " 0 already held.*")), "the first build archives every package it installed: " + archived);

    CliRun rebuild = cli("rebuild", original, "--wait", "--json", "--patience", "10m");

    assertEquals(0, rebuild.exitCode, rebuild::toString);
    JsonNode again = FarmProcesses.JSON.readTree(rebuild.stdout);
    assertEquals("SUCCEEDED", again.get("state").asText(), again::toString);
    assertEquals(original, again.get("rebuildOf").asText(), again::toString);
    assertEquals(artifact(originalBuild, ".iso"), artifact(again, ".iso"), "the rebuild's ISO is bit for bit the same");
    assertEquals(0, tripwire.connections(), "nothing connected to the stopped upstream's port");
    String log = buildLog(again);
    int packages = lock().size();
    assertTrue(log.contains("rebuild of build " + original + " from its record: " + packages
        + " archived packages, no upstream repository read"), log);
    assertTrue(log.lines().anyMatch(l -> l.contains("archived 0 new input(s), 0 bytes; " + (packages + 1)
        + " already held")), "the rebuild installed only what the store holds (and read its key): " + log);
  }

  @Test
  @Order(2)
  void fetchInputsWritesTheRecordThatRebuildsTheSameIsoOnOneMachine() throws Exception {
    Path inputs = dir.resolve("fetched");

    CliRun fetch = cli("fetch", "--inputs", original, "--out", inputs.toString());

    assertEquals(0, fetch.exitCode, fetch::toString);
    assertTrue(Files.isRegularFile(inputs.resolve("definition").resolve("repo-spec.json")), fetch::toString);
    assertEquals(2, FixtureBuilds.files(inputs.resolve("components")).size(), fetch::toString);
    List<Path> packages = FixtureBuilds.files(inputs.resolve("packages"));
    assertEquals(lock().size(), packages.size(), fetch::toString);
    for (Path p : packages) {
      assertEquals(p.getFileName().toString(), org.bootfarm.protocol.Sha256.of(p) + ".rpm", "named by its sha256");
    }
    assertEquals(org.bootfarm.protocol.Sha256.of(dir.resolve("keys").resolve(FixtureDefinitions.KEY_FILE_NAME)),
        org.bootfarm.protocol.Sha256.of(inputs.resolve("keys").resolve(FixtureDefinitions.KEY_FILE_NAME)),
        "the trusted key the record names, under the name its reference finds");
    Path out = dir.resolve("one-machine");
    // a machine without the farm's keys: the record's key is the one it checks signatures with
    CliRun build = CliRun.inProcess("build", "--from-buildinfo", inputs.resolve("buildinfo.json").toString(),
        "--inputs", inputs.toString(), "--out", out.toString(), "--cache-dir", dir.resolve("one-machine-cache")
        .toString(), "--keys", Files.createDirectories(dir.resolve("no-keys")).toString());
    assertEquals(0, build.exitCode, build::toString);
    try (Stream<Path> isos = Files.list(out)) {
      Path iso = isos.filter(f -> f.toString().endsWith(".iso")).findFirst().orElseThrow();
      assertEquals(artifact(originalBuild, ".iso"), org.bootfarm.protocol.Sha256.of(iso),
          "the one-machine rebuild from the fetched record is the farm's ISO, bit for bit");
    }
    assertEquals(0, tripwire.connections(), "nothing connected to the stopped upstream's port");
  }

  @Test
  @Order(3)
  void aTamperedArchivedPackageFailsTheRebuildNamingTheMismatchAndIsNotUsed() throws Exception {
    JsonNode victim = lock().get(0);
    Path object = storedObject(victim.get("sha256").asText());
    byte[] genuine = Files.readAllBytes(object);
    Files.write(object, "not the package that was archived".getBytes());
    try {
      CliRun rebuild = cli("rebuild", original, "--wait", "--json", "--patience", "5m");

      assertEquals(ClientCommands.BUILD_FAILED, rebuild.exitCode, rebuild::toString);
      JsonNode failed = FarmProcesses.JSON.readTree(rebuild.stdout);
      assertEquals("FAILED", failed.get("state").asText(), failed::toString);
      assertEquals("DETERMINISTIC", failed.get("errorKind").asText(), "not retried: " + failed);
      String error = failed.get("error").asText();
      assertTrue(error.contains(victim.get("name").asText()) && error.contains(victim.get("sha256").asText())
          && error.contains("do not hash to the recorded sha256") && error.contains("not used"), error);
      assertEquals(0, failed.get("attempts").asInt(), "a deterministic failure is not retried: " + failed);
    } finally {
      Files.write(object, genuine);
    }
  }

  @Test
  @Order(4)
  void aRebuildWhoseArchivedPackageIsGoneIsRefusedNamingItAndHowToPin() throws Exception {
    JsonNode victim = lock().get(lock().size() - 1);
    Files.delete(storedObject(victim.get("sha256").asText()));
    int builds = farm.get("/api/v1/builds").get("builds").size();

    CliRun rebuild = cli("rebuild", original);

    assertEquals(ClientCommands.REFUSED, rebuild.exitCode, rebuild::toString);
    String said = rebuild.stderr;
    assertTrue(said.contains(victim.get("name").asText() + "-" + victim.get("version").asText() + "."
        + victim.get("arch").asText() + " (sha256 " + victim.get("sha256").asText() + ")"), said);
    assertTrue(said.contains("bootfarm pin ID") && said.contains("--keep-builds"), said);
    assertEquals(builds, farm.get("/api/v1/builds").get("builds").size(), "nothing was recorded");
    assertEquals(0, tripwire.connections(), "nothing connected to the stopped upstream's port");
  }

  @Test
  @Order(5)
  void gcSaysWhatItWouldFreeAndThatItKeepsTheKeptBuildsInputs() throws Exception {
    CliRun gc = cli("gc", "--dry-run", "--json");

    assertEquals(0, gc.exitCode, gc::toString);
    JsonNode report = FarmProcesses.JSON.readTree(gc.stdout);
    assertTrue(report.get("dryRun").asBoolean(), report::toString);
    assertTrue(report.get("keptInputs").asInt() >= lock().size() - 1,
        "the original's archived packages (but the one deleted) are kept: " + report);
    CliRun plain = cli("gc", "--dry-run");
    assertTrue(plain.stdout.startsWith("would free "), plain::toString);
  }
}
