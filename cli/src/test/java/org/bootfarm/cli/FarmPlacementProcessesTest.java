package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.bootfarm.coordinator.placement.PlacementRequest;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.placement.WorkerView;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.Eventually;
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
 * One farm of separate JVMs on 127.0.0.1 through its life, one test per stage, in order: a worker
 * limited to apt never gets an RPM build and a yum build nobody runs waits with the reason; K = 3
 * repos (copies of the fixture tdnf definition under three names) built twice each on two workers
 * stay on one worker per repo, and the second build of a repo downloads no package; a worker
 * joining later takes the repos the real rendezvous placement gives it and only those; and the
 * coordinator killed with kill -9 and started again on the same data dir loses nothing, while the
 * builds running at that moment finish on their workers, whose reports wait for it.
 *
 * <p>Worker ids are chosen here with the real placement code so that each stage shows something:
 * both first workers are home to some repos, and the late one to some but not all.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FarmPlacementProcessesTest {
  static final List<String> REPOS = List.of("fixture-a", "fixture-b", "fixture-c");
  /** A fixture definition whose staging.sh waits at {@link #GATE}, so that a build is reliably caught running. */
  static final String SLOW = "fixture-slow";
  static final Gate GATE = new Gate("farm-placement");
  static final String YUM = FixtureDefinitions.YUM;
  static final String APT_WORKER = "apt-only";
  static final RendezvousPlacement PLACEMENT = new RendezvousPlacement();

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static Path repos;
  static Path keys;
  static Process coordinator;
  static Map<String, String> components;
  static String workerA;
  static String workerB;
  static String lateWorker;
  static String yumBuild;
  /** Where each of the K repos was built last. */
  static final Map<String, String> homes = new LinkedHashMap<>();

  @BeforeAll
  static void startCoordinatorAndAnAptOnlyWorker() throws Exception {
    repo = FixtureYumRepo.start();
    repos = Files.createDirectories(dir.resolve("repos"));
    for (String name : REPOS) {
      writeTdnfDefinitionAs(name, "");
    }
    writeTdnfDefinitionAs(SLOW, "");
    FixtureBuilds.gateInStaging(repos.resolve(SLOW), GATE);
    FixtureDefinitions.write(repos, YUM, repo);
    keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    coordinator = farm.startCoordinator("coordinator", dir.resolve("coordinator-data"), repos, keys);
    farm.startWorker(APT_WORKER, List.of("--worker-id", APT_WORKER, "--package-managers", "apt"));
    farm.awaitLine(APT_WORKER, " ready: ", 90);
    components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
  }

  @AfterAll
  static void stopFarm() throws Exception {
    if (farm != null) {
      farm.close();
    }
    String keep = System.getProperty("bootfarm.test.keepLogs");
    if (keep != null) {
      Path target = Files.createDirectories(Path.of(keep));
      try (var logs = Files.list(dir)) {
        for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
          Files.copy(log, target.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    if (repo != null) {
      repo.close();
    }
  }

  /** The fixture tdnf definition under another name (its spec's name follows the directory's). */
  static void writeTdnfDefinitionAs(String name, String appendToBaseSh) throws Exception {
    FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, name, appendToBaseSh);
  }

  // --- placement as the coordinator computes it, with the real code

  static WorkerView idleTdnfWorker(String id) {
    return new WorkerView(id, Set.of("tdnf"), "x86_64", 1, 0, 0, 1L << 40, Map.of(), true);
  }

  /** The live workers as the coordinator lists them, as placement views with nothing running. */
  static List<WorkerView> listedWorkers() throws Exception {
    List<WorkerView> views = new ArrayList<>();
    for (JsonNode node : farm.get("/api/v1/workers").get("workers")) {
      WorkerInfo info = WireJson.read(node.toString(), WorkerInfo.class);
      views.add(new WorkerView(info.id(), Set.copyOf(info.packageManagers()), info.arch(), info.slots(), 0, 0,
          info.freeDiskBytes(), info.warmCaches().stream().collect(Collectors.toMap(WorkerInfo.WarmCache::repo,
              c -> new WorkerView.WarmCache(c.metadataRevision(), c.sizeBytes()))), true));
    }
    return views;
  }

  static String home(String repoName, List<WorkerView> workers) {
    return PLACEMENT.place(PlacementRequest.of(repoName, "tdnf", "x86_64"), workers).workerId().orElseThrow();
  }

  // --- waiting on the farm

  static JsonNode awaitWorkers(Set<String> ids) throws Exception {
    JsonNode workers = Eventually.value(Duration.ofMinutes(1), () -> farm.get("/api/v1/workers").get("workers"),
        listed -> listedIds(listed).containsAll(ids));
    Set<String> listed = listedIds(workers);
    assertTrue(listed.containsAll(ids), () -> "workers listed: " + listed + ", expected " + ids);
    return workers;
  }

  static Set<String> listedIds(JsonNode workers) {
    Set<String> ids = new java.util.TreeSet<>();
    if (workers != null) {
      workers.forEach(w -> ids.add(w.get("id").asText()));
    }
    return ids;
  }

  /**
   * Waits until every listed worker's heartbeat says no slot is busy: placement reads the busy slots
   * from heartbeats, and a stale one would count a finished build against its worker's load bound.
   */
  static void awaitIdleWorkers() throws Exception {
    if (Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY, () -> {
      boolean idle = true;
      for (JsonNode worker : farm.get("/api/v1/workers").get("workers")) {
        idle &= worker.get("busySlots").asInt() == 0 && worker.get("running").isEmpty();
      }
      return idle;
    })) {
      return;
    }
    throw new AssertionError("workers still busy: " + farm.get("/api/v1/workers"));
  }

  static JsonNode buildToEnd(String repoName) throws Exception {
    String id = farm.submit(repoName, components);
    JsonNode build = farm.awaitBuild(id, FarmProcesses::finished);
    assertEquals("SUCCEEDED", build.get("state").asText(), build::toString);
    awaitIdleWorkers();
    return build;
  }

  static void assertArtifactsMatchTheirHashes(JsonNode build) throws Exception {
    assertEquals(4, build.get("artifacts").size(), "ISO, buildinfo, manifest, signed provenance: " + build);
    for (JsonNode artifact : build.get("artifacts")) {
      byte[] bytes = farm.download(artifact.get("sha256").asText());
      assertEquals(artifact.get("sha256").asText(), Sha256.of(bytes), artifact::toString);
      assertEquals(artifact.get("size").asLong(), bytes.length, artifact::toString);
    }
  }

  // --- the stages

  @Test
  @Order(1)
  void aWorkerLimitedToAptIsListedWithAptAloneAndAYumBuildWaitsWithTheReason() throws Exception {
    JsonNode workers = awaitWorkers(Set.of(APT_WORKER));
    assertEquals(1, workers.size(), workers::toString);
    assertEquals("[\"apt\"]", workers.get(0).get("packageManagers").toString(), workers::toString);

    yumBuild = farm.submit(YUM, components);
    JsonNode waiting = farm.awaitBuild(yumBuild,
        b -> b.hasNonNull("placement") && b.get("placement").asText().contains("no live worker runs yum"));
    assertEquals("QUEUED", waiting.get("state").asText(), waiting::toString);
    assertTrue(waiting.get("placement").asText().contains("no live worker runs yum"), waiting::toString);
    assertTrue(waiting.get("placement").asText().contains("run apt"), waiting::toString);
  }

  @Test
  @Order(2)
  void buildsOfOneRepoStayOnOneWorkerAndItsSecondBuildDownloadsNoPackage() throws Exception {
    // two worker ids that the real placement makes home to some of the K repos each
    for (int i = 1; workerA == null; i++) {
      List<WorkerView> pair = List.of(idleTdnfWorker("farm-a" + i), idleTdnfWorker("farm-b" + i));
      Set<String> used = new java.util.HashSet<>();
      REPOS.forEach(r -> used.add(home(r, pair)));
      if (used.size() == 2) {
        workerA = "farm-a" + i;
        workerB = "farm-b" + i;
      }
    }
    for (String id : List.of(workerA, workerB)) {
      farm.startWorker(id, List.of("--worker-id", id, "--package-managers", "tdnf"));
    }
    farm.awaitLine(workerA, " ready: ", 90);
    farm.awaitLine(workerB, " ready: ", 90);
    awaitWorkers(Set.of(workerA, workerB));

    Map<String, List<String>> workersOfRepo = new HashMap<>();
    for (int round = 1; round <= 2; round++) {
      for (String repoName : REPOS) {
        int rpmsBefore = repo.rpmRequests();
        JsonNode build = buildToEnd(repoName);
        int downloaded = repo.rpmRequests() - rpmsBefore;
        if (round == 1) {
          assertTrue(downloaded > 0, "the first build of " + repoName + " fills its cache: " + repo.requestCounts());
        } else {
          assertEquals(0, downloaded, "the second build of " + repoName + " downloaded packages: "
              + repo.requestCounts());
        }
        assertArtifactsMatchTheirHashes(build);
        workersOfRepo.computeIfAbsent(repoName, r -> new ArrayList<>()).add(build.get("worker").asText());
        assertTrue(build.get("placement").asText().startsWith("worker " + build.get("worker").asText() + ": rank 1"),
            build::toString);
      }
    }
    List<WorkerView> pair = List.of(idleTdnfWorker(workerA), idleTdnfWorker(workerB));
    for (String repoName : REPOS) {
      List<String> where = workersOfRepo.get(repoName);
      assertEquals(List.of(where.get(0), where.get(0)), where, "both builds of " + repoName + " on one worker");
      assertEquals(home(repoName, pair), where.get(0), "rendezvous home of " + repoName);
      homes.put(repoName, where.get(0));
    }
    assertEquals(Set.of(workerA, workerB), Set.copyOf(homes.values()), homes::toString);
  }

  @Test
  @Order(3)
  void aWorkerJoiningLaterTakesTheReposItRanksFirstForAndNoOthers() throws Exception {
    List<WorkerView> live = listedWorkers();
    List<String> moving = List.of();
    for (int i = 1; lateWorker == null; i++) {
      List<WorkerView> withLate = new ArrayList<>(live);
      withLate.add(idleTdnfWorker("late" + i));
      String candidate = "late" + i;
      List<String> taken = REPOS.stream().filter(r -> home(r, withLate).equals(candidate)).toList();
      if (!taken.isEmpty() && taken.size() < REPOS.size()) {
        lateWorker = candidate;
        moving = taken;
        for (String stays : REPOS) {
          if (!taken.contains(stays)) {
            assertEquals(homes.get(stays), home(stays, withLate), "rendezvous moves only the late worker's share");
          }
        }
      }
    }
    farm.startWorker(lateWorker, List.of("--worker-id", lateWorker, "--package-managers", "tdnf"));
    farm.awaitLine(lateWorker, " ready: ", 90);
    awaitWorkers(Set.of(workerA, workerB, lateWorker));

    for (String repoName : REPOS) {
      JsonNode build = buildToEnd(repoName);
      String expected = moving.contains(repoName) ? lateWorker : homes.get(repoName);
      assertEquals(expected, build.get("worker").asText(), () -> repoName + ": " + build);
      assertArtifactsMatchTheirHashes(build);
      homes.put(repoName, expected);
    }
    assertTrue(homes.containsValue(lateWorker), homes::toString);
  }

  @Test
  @Order(4)
  void aCoordinatorKilledAndRestartedLosesNothingAndTheRunningBuildsFinishOnTheirWorkers() throws Exception {
    String first = farm.submit(SLOW, components);
    GATE.awaitReached(dir, Duration.ofMinutes(2));
    JsonNode running = farm.awaitBuild(first, b -> !b.get("state").asText().equals("QUEUED"));
    assertEquals("RUNNING", running.get("state").asText(), running::toString);
    String second = farm.submit(SLOW, components);
    GATE.awaitReached(dir, Duration.ofMinutes(2));
    JsonNode alsoRunning = farm.awaitBuild(second, b -> !b.get("state").asText().equals("QUEUED"));
    assertEquals("RUNNING", alsoRunning.get("state").asText(), alsoRunning::toString);
    Map<String, JsonNode> before = allBuilds();
    assertEquals("QUEUED", before.get(yumBuild).get("state").asText());

    long killed = System.nanoTime();
    coordinator.destroyForcibly().waitFor(); // kill -9
    AutoCloseable open = GATE.keepOpening(dir); // the builds go on while no coordinator runs
    // the first build ends while no coordinator runs: its first transfer (asking which of its inputs the store
    // lacks, before it archives them and uploads its outputs) waits for one
    String worker = running.get("worker").asText();
    farm.awaitLine(worker, "build " + first + ": query of which inputs the store lacks", 90);
    long uploadWaiting = System.nanoTime();
    coordinator = farm.startCoordinator("coordinator-restarted", dir.resolve("coordinator-data"), repos, keys);
    long restarted = System.nanoTime();

    for (JsonNode was : List.of(running, alsoRunning)) {
      JsonNode done = farm.awaitBuild(was.get("id").asText(), FarmProcesses::finished);
      assertEquals("SUCCEEDED", done.get("state").asText(), done::toString);
      assertEquals(was.get("worker").asText(), done.get("worker").asText(), "reconciled with its worker: " + done);
      assertEquals(0, done.get("attempts").asInt(), done::toString);
      assertArtifactsMatchTheirHashes(done);
      farm.awaitLine(was.get("worker").asText(), "report of build " + was.get("id").asText() + " run 1 recorded", 10);
      System.out.printf("build %s on %s SUCCEEDED %.1f s after the kill%n", was.get("id").asText(),
          done.get("worker").asText(), (System.nanoTime() - killed) / 1e9);
    }
    open.close();
    System.out.printf("kill -9 -> first build's upload waiting %.1f s; coordinator ready again %.1f s after the kill%n",
        (uploadWaiting - killed) / 1e9, (restarted - killed) / 1e9);
    for (String w : new java.util.TreeSet<>(List.of(running.get("worker").asText(), alsoRunning.get("worker").asText()))) {
      farm.logText(w).lines().filter(l -> l.contains("report of build") || l.contains("upload of") || l.contains("query of")
          || l.contains("coordinator left") || l.contains("rejoined") || l.contains("ended"))
          .forEach(l -> System.out.println(w + " | " + l));
    }

    Map<String, JsonNode> after = allBuilds();
    for (Map.Entry<String, JsonNode> was : before.entrySet()) {
      JsonNode now = after.get(was.getKey());
      assertTrue(now != null, "build " + was.getKey() + " was lost");
      switch (was.getValue().get("state").asText()) {
        case "SUCCEEDED" -> assertEquals(was.getValue(), now, "history intact");
        case "QUEUED" -> assertEquals("QUEUED", now.get("state").asText(), now::toString);
        case "RUNNING" -> assertEquals("SUCCEEDED", now.get("state").asText(), now::toString);
        default -> throw new AssertionError("unexpected state before the kill: " + was.getValue());
      }
    }
    JsonNode yum = farm.awaitBuild(yumBuild, b -> b.hasNonNull("placement")
        && b.get("placement").asText().contains("no live worker runs yum"));
    assertEquals("QUEUED", yum.get("state").asText(), yum::toString);

    // no build ran twice, none went to the apt-only worker, every build but the yum one ran
    assertEquals(before.keySet(), after.keySet());
    Map<String, Integer> starts = runStarts();
    for (JsonNode build : after.values()) {
      String id = build.get("id").asText();
      assertNotEquals(APT_WORKER, build.path("worker").asText(), build::toString);
      assertEquals(0, build.get("attempts").asInt(), build::toString);
      assertEquals(id.equals(yumBuild) ? 0 : 1, starts.getOrDefault(id, 0), "runs of " + build);
    }
    assertEquals(1 + 2 * REPOS.size() + REPOS.size() + 2, after.size(), after::toString);
  }

  static Map<String, JsonNode> allBuilds() throws Exception {
    Map<String, JsonNode> builds = new LinkedHashMap<>();
    for (JsonNode build : farm.get("/api/v1/builds?limit=1000").get("builds")) {
      builds.put(build.get("id").asText(), build);
    }
    return builds;
  }

  /** How many runs each build started, over every worker's log. */
  static Map<String, Integer> runStarts() throws Exception {
    Pattern started = Pattern.compile("build (\\S+) \\(\\S+\\) run \\d+ started");
    Map<String, Integer> starts = new HashMap<>();
    for (String worker : List.of(APT_WORKER, workerA, workerB, lateWorker)) {
      Matcher m = started.matcher(farm.logText(worker));
      while (m.find()) {
        starts.merge(m.group(1), 1, Integer::sum);
      }
    }
    return starts;
  }
}
