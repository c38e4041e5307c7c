package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  @Test
  @Order(3)
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
  @Order(4)
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
