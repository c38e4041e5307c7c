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
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.PostgresServer;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code bootfarm coordinator}s as separate JVMs with a seconds schedule (a six-field
 * {@code --nightly} cron firing every 5 s): runs are started by the schedule, by the active coordinator only, once per scheduled
 * instant; after kill -9 of the active one, the standby that takes over knows the runs the dead one
 * started (they were recorded in the shared PostgreSQL store before anything was submitted, ADR 0039) and starts
 * none of their instants again, only later ones. No worker runs here, so every run has no pair and notes why.
 */
@Tag("process")
class NightlyScheduleProcessesTest {
  static final Pattern RUN_LINE = Pattern.compile("nightly run (sched-\\S+) \\(schedule for (\\S+)\\)");

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static Process first;
  static String secondApi;
  static PostgresServer postgres;

  @BeforeAll
  static void startTwoCoordinators() throws Exception {
    repo = FixtureYumRepo.start();
    postgres = PostgresServer.start();
    String store = postgres.storeUrl(postgres.createDatabase());
    farm = new FarmProcesses(dir);
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    first = farm.start("coordinator-1", List.of("coordinator", "--nightly", "*/5 * * * * *", "--no-bridge",
        "--data-dir", dir.resolve("c1").toString(), "--repos", repos.toString(), "--keys", keys.toString(),
        "--http-port", String.valueOf(farm.httpPort), "--cluster-name", farm.cluster, "--cluster-port",
        String.valueOf(farm.clusterPort), "--store", store));
    farm.awaitLine("coordinator-1", " ready: ", 90);
    int secondHttp = FreePorts.one();
    secondApi = "http://127.0.0.1:" + secondHttp;
    farm.start("coordinator-2", List.of("coordinator", "--nightly", "*/5 * * * * *", "--no-bridge",
        "--data-dir", dir.resolve("c2").toString(), "--repos", repos.toString(), "--keys", keys.toString(),
        "--http-port", String.valueOf(secondHttp), "--cluster-name", farm.cluster, "--cluster-port",
        String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + farm.clusterPort, "--store", store));
    farm.awaitLine("coordinator-2", "is a standby", 90);
  }

  @AfterAll
  static void stop() {
    if (farm != null) {
      farm.close();
    }
    if (repo != null) {
      repo.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  /** The scheduled instants a coordinator's log says it started runs for, in order. */
  static List<String> instantsStartedBy(String name) throws Exception {
    List<String> instants = new ArrayList<>();
    Matcher m = RUN_LINE.matcher(farm.logText(name));
    while (m.find()) {
      instants.add(m.group(2));
    }
    return instants;
  }

  static List<String> instantsListed(String api) throws Exception {
    JsonNode runs = FarmProcesses.JSON.readTree(FarmProcesses.HTTP.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(api + "/api/v1/nightly?limit=1000")).header("Authorization", "Bearer " + farm.adminToken()).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body()).get("runs");
    List<String> instants = new ArrayList<>();
    runs.forEach(run -> instants.add(run.get("scheduledFor").asText()));
    return instants;
  }

  @Test
  void scheduledRunsStartOncePerInstantOnTheActiveCoordinatorAlsoAcrossATakeover() throws Exception {
    // the schedule fires on the active coordinator: wait for two of its instants (5 s apart)
    Eventually.value(Duration.ofSeconds(30), () -> instantsStartedBy("coordinator-1"), started -> started.size() >= 2);
    List<String> byFirst = instantsStartedBy("coordinator-1");
    String firstLog = farm.logText("coordinator-1");
    assertTrue(byFirst.size() >= 2, () -> "the active coordinator started " + byFirst + ":\n" + firstLog);
    assertEquals(List.of(), instantsStartedBy("coordinator-2"), "the standby started runs");
    JsonNode latest = farm.get("/api/v1/nightly/latest");
    assertEquals("schedule", latest.get("trigger").asText(), latest::toString);
    assertEquals(0, latest.get("pairs").size(), latest::toString);
    assertTrue(latest.get("notes").get(0).asText().contains("no live worker runs tdnf"), latest::toString);
    assertTrue(latest.hasNonNull("finishedAt"), latest::toString);
    // the standby lists the same runs (it forwards to the active one)
    assertTrue(instantsListed(secondApi).containsAll(byFirst), "the standby does not list " + byFirst);

    first.destroyForcibly().waitFor();
    List<String> startedByFirst = instantsStartedBy("coordinator-1");
    farm.awaitLine("coordinator-2", "is now active", 30);
    Eventually.value(Duration.ofSeconds(20), () -> instantsStartedBy("coordinator-2"), started -> started.size() >= 2);
    List<String> bySecond = instantsStartedBy("coordinator-2");
    String secondLog = farm.logText("coordinator-2");
    assertTrue(bySecond.size() >= 2, () -> "the coordinator that took over started " + bySecond + ":\n" + secondLog);
    for (String instant : bySecond) {
      assertFalse(startedByFirst.contains(instant), "instant " + instant + " ran on both coordinators: "
          + startedByFirst + " and " + bySecond);
    }
    List<String> listed = instantsListed(secondApi);
    Set<String> distinct = new TreeSet<>(listed);
    assertEquals(distinct.size(), listed.size(), "an instant listed twice: " + listed);
    assertTrue(distinct.containsAll(startedByFirst), "the survivor lost runs of the dead one: " + listed + " vs "
        + startedByFirst);
    assertTrue(distinct.containsAll(bySecond), listed::toString);
  }
}
