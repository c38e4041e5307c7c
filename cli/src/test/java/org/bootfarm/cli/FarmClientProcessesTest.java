package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.bootfarm.client.ApiErrorException;
import org.bootfarm.client.BuildFollowing;
import org.bootfarm.client.FarmClient;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.testkit.ChildJvm;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link FarmClient} in the test JVM, joined as a lite member to a {@code bootfarm coordinator} and a
 * {@code bootfarm worker} running as separate JVMs on 127.0.0.1: it uploads the components, submits,
 * follows the build to its end (stage by stage, log lines, the coordinator's state events) and
 * downloads the build's whole log from the artifact store; a bad submission fails with the
 * coordinator's ApiError. Submissions carrying the farm's own option key ({@code reproducibility}: "I am side B
 * of a pair whose side A does not exist", which once stalled placement for good) are refused on the event bus,
 * over HTTP and over the TCP bridge, and a normal build submitted after them runs (ADR 0040).
 */
@Tag("process")
class FarmClientProcessesTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static final List<Process> processes = new ArrayList<>();
  static int httpPort;
  static FarmClient client;

  /** The farm's tokens file: the coordinator gets it with --tokens, the worker its 'workers' token. */
  static Path tokens;

  static void start(String name, List<String> args) throws IOException {
    if (tokens == null) {
      tokens = DefaultTokensFile.prepare(Files.createDirectories(dir.resolve("access")));
      Files.writeString(dir.resolve("access").resolve("worker-token"),
          DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.WORKERS_CLIENT).orElseThrow());
    }
    List<String> command = new ArrayList<>(ChildJvm.command());
    command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
        "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    command.addAll(args.get(0).equals("coordinator") ? List.of("--tokens", tokens.toString())
        : List.of("--token-file", dir.resolve("access").resolve("worker-token").toString()));
    processes.add(SharedFarmCa.giveTo(new ProcessBuilder(command), dir).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start());
  }

  static void awaitLine(String name, String text, int seconds) throws Exception {
    Path log = dir.resolve(name + ".log");
    if (Eventually.holds(Duration.ofSeconds(seconds), Eventually.EVERY,
        () -> Files.exists(log) && Files.readString(log).contains(text))) {
      return;
    }
    throw new AssertionError(name + " never printed '" + text + "':\n" + Files.readString(log));
  }

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    // a definition whose base.sh fails: its build fails for good, and its log says why
    Path failing = FixtureDefinitions.write(repos, FixtureDefinitions.YUM, repo);
    Files.writeString(failing.resolve("base.sh"), "\necho 'fixture base.sh gives up here' >&2\nexit 3\n",
        java.nio.file.StandardOpenOption.APPEND);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    int clusterPort = FreePorts.one();
    httpPort = FreePorts.one();
    String cluster = "client-test-" + clusterPort;
    start("coordinator", List.of("coordinator", "--bridge-port", "0", "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", keys.toString(), "--http-port", String.valueOf(httpPort), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(clusterPort)));
    // the client starts while the coordinator is still coming up: connect waits for it
    client = FarmClient.connect(ClusterSettings.of(NodeRole.CLIENT, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + clusterPort, dir.resolve("client")).withClusterName(cluster)
        .withCredential(SharedFarmCa.client(dir, "test-client")), Duration.ofSeconds(120))
        .withToken(DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow());
    start("worker", List.of("worker", "--data-dir", dir.resolve("w").toString(), "--cache-dir",
        dir.resolve("w/cache").toString(), "--keys", keys.toString(), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + clusterPort,
        "--metrics-port", "0", "--no-action-cache"));
    awaitLine("worker", " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() {
    if (client != null) {
      client.close();
    }
    processes.forEach(Process::destroyForcibly);
    repo.close();
  }

  @Test
  void afterSeventeenSubmissionsWithReservedOptionsAClientFollowsABuildToSucceededAndDownloadsItsWholeLog()
      throws Exception {
    assertEquals("http://127.0.0.1:" + httpPort, client.info().await().artifactsUrl());
    Eventually.value(Duration.ofSeconds(10), () -> client.workers().await(), workers -> !workers.isEmpty());
    assertEquals(1, client.workers().await().size(), "the worker process advertises itself");
    Path tether = Files.writeString(dir.resolve("tether"), "tether\n");
    Path unpack = Files.writeString(dir.resolve("unpack"), "unpack\n");
    Map<String, String> components = Map.of("tether", client.upload(tether).await(),
        "unpack", client.upload(unpack).await());
    refusesReservedOptionsOnEveryApi(components);

    String id = client.submit(new SubmitRequest(FixtureDefinitions.TDNF, null, components, null, null)).await();
    List<BuildEvent> events = new CopyOnWriteArrayList<>();
    BuildFollowing following = client.follow(id, events::add);
    following.ready().await(30, TimeUnit.SECONDS);
    BuildEvent last = following.ended().await(5, TimeUnit.MINUTES);

    assertEquals(BuildState.SUCCEEDED, last.state(), events::toString);
    assertEquals(last, events.get(events.size() - 1), "the final state event is the last one delivered");
    // the claim is published by the coordinator, the stage events by the worker: Vert.x orders each sender's
    // messages but not the two senders' against each other (ADR 0014), so the claim may trail "base started"
    List<BuildEvent> claims = events.stream()
        .filter(e -> e.type() == BuildEvent.Type.STATE && e.state() == BuildState.RUNNING).toList();
    assertEquals(1, claims.size(), () -> "one claim event: " + events);
    List<String> stages = events.stream()
        .filter(e -> e.type() == BuildEvent.Type.STAGE_STARTED || e.type() == BuildEvent.Type.STAGE_FINISHED)
        .map(e -> e.type() + " " + e.stage()).toList();
    assertEquals(List.of("STAGE_STARTED base", "STAGE_FINISHED base", "STAGE_STARTED staging-bootstrap",
        "STAGE_FINISHED staging-bootstrap", "STAGE_STARTED assemble", "STAGE_FINISHED assemble"), stages);
    List<BuildEvent> lines = events.stream().filter(e -> e.type() == BuildEvent.Type.LOG).toList();
    assertFalse(lines.isEmpty(), "log lines were streamed");
    int firstLine = events.indexOf(lines.get(0));
    assertTrue(firstLine > stages.indexOf("STAGE_STARTED base"), "log lines come after the first stage began");
    assertEquals(1, events.stream().filter(e -> e.type() == BuildEvent.Type.STATE && e.state().isFinal()).count(),
        "exactly one final state event");

    BuildView build = client.get(id).await();
    assertEquals(BuildState.SUCCEEDED, build.state(), build::toString);
    assertNotNull(build.log(), "the build record names its log: " + build);
    String log = Files.readString(client.download(build.log(), dir.resolve("build.log")).await());
    for (BuildEvent line : lines) {
      assertTrue(log.contains("[" + line.stage() + "] " + line.text() + "\n"),
          "the stored log holds the streamed line '" + line.text() + "'");
    }
    assertTrue(log.contains("[base] stage base started\n"), log);
    assertTrue(log.contains("[assemble] stage assemble finished in "), log);
  }

  @Test
  void aFailedBuildEndsWithItsErrorAndItsLogIsKeptToo() throws Exception {
    Map<String, String> components = Map.of(
        "tether", client.upload(Files.writeString(dir.resolve("tether"), "tether\n")).await(),
        "unpack", client.upload(Files.writeString(dir.resolve("unpack"), "unpack\n")).await());
    String id = client.submit(new SubmitRequest(FixtureDefinitions.YUM, null, components, null, null)).await();
    List<BuildEvent> events = new CopyOnWriteArrayList<>();
    BuildFollowing following = client.follow(id, events::add);
    BuildEvent last = following.ended().await(5, TimeUnit.MINUTES);

    assertEquals(BuildState.FAILED, last.state(), events::toString);
    assertTrue(last.text().contains("base.sh"), last.text());
    assertTrue(events.stream().noneMatch(e -> e.type() == BuildEvent.Type.STATE && e.state() == BuildState.QUEUED),
        "a failing hook is deterministic: not retried: " + events);
    BuildView build = client.get(id).await();
    assertEquals(BuildState.FAILED, build.state(), build::toString);
    assertNotNull(build.log(), "a failed build's record names its log too: " + build);
    String log = Files.readString(client.download(build.log(), dir.resolve("failed.log")).await());
    assertTrue(log.contains("fixture base.sh gives up here"), log);
    assertTrue(log.contains("[build] failed ("), log);
  }

  @Test
  void submissionOfAnUnknownRepoFailsWithTheApiErrorNamingIt() {
    ApiErrorException refused = assertThrows(ApiErrorException.class,
        () -> client.submit(new SubmitRequest("no-such-repo", null, Map.of(), null, null)).await());
    assertEquals(ApiError.Code.BAD_REQUEST, refused.code());
    assertEquals("build refused", refused.error().message());
    assertTrue(refused.error().problems().stream().anyMatch(p -> p.startsWith("repo: 'no-such-repo'")
        && p.contains(FixtureDefinitions.TDNF)), refused.error().problems()::toString);
    ApiErrorException missing = assertThrows(ApiErrorException.class, () -> client.get("01NOSUCHBUILD").await());
    assertEquals(ApiError.Code.NOT_FOUND, missing.code(), missing::getMessage);
  }

  /**
   * Seventeen submissions, more than a placing pass once read, each claiming to be side B of a pair whose side A
   * does not exist: six on the event bus, six over HTTP, five over the bridge; each refused naming the key, none
   * recorded.
   */
  private static void refusesReservedOptionsOnEveryApi(Map<String, String> components) throws Exception {
    int before = client.list(new org.bootfarm.protocol.api.v1.BuildQuery(null, null, 1000)).await().size();
    String localToken = DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
    awaitLine("coordinator", ", bridge 127.0.0.1:", 30);
    java.util.regex.Matcher bridgePort = java.util.regex.Pattern.compile(", bridge 127\\.0\\.0\\.1:(\\d+)")
        .matcher(Files.readString(dir.resolve("coordinator.log")));
    assertTrue(bridgePort.find(), "the coordinator's ready line names its bridge");
    String reserved = "options.reproducibility: a reserved key";
    try (org.bootfarm.client.BridgeClient bridge = org.bootfarm.client.BridgeClient.connect("127.0.0.1:"
        + bridgePort.group(1), localToken, null, null, Duration.ofSeconds(30))) {
      for (int i = 0; i < 17; i++) {
        Map<String, Object> options = Map.of("reproducibility", Map.of("pair", "hostile-" + i, "side", "B",
            "otherSide", "01NOSUCHSIDEA00000000000" + String.format("%02d", i)));
        SubmitRequest hostile = new SubmitRequest(FixtureDefinitions.TDNF, null, components, null, options);
        String refusal;
        if (i % 3 == 0) {
          ApiErrorException e = assertThrows(ApiErrorException.class, () -> client.submit(hostile).await());
          assertEquals(ApiError.Code.BAD_REQUEST, e.code());
          refusal = e.error().problems().toString();
        } else if (i % 3 == 1) {
          java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + httpPort
                  + "/api/v1/builds")).header("Authorization", "Bearer " + localToken)
                  .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers
                      .ofString(org.bootfarm.protocol.api.v1.WireJson.write(hostile))).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
          assertEquals(400, answer.statusCode(), answer.body());
          refusal = answer.body();
        } else {
          ApiErrorException e = assertThrows(ApiErrorException.class, () -> bridge.submit(hostile));
          assertEquals(ApiError.Code.BAD_REQUEST, e.code());
          refusal = e.error().problems().toString();
        }
        assertTrue(refusal.contains(reserved) && refusal.contains("nightly and verify"), refusal);
      }
    }
    assertEquals(before, client.list(new org.bootfarm.protocol.api.v1.BuildQuery(null, null, 1000)).await().size(),
        "no refused submission was recorded");
  }
}
