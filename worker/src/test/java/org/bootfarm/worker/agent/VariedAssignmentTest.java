package org.bootfarm.worker.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.protocol.build.ManifestEntry;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker agent takes the same fixture assignment once as it builds everything and once under
 * {@link BuildVariation#varied()} (an engine process of its own in another UTS namespace, umask 077,
 * one CPU, TZ Pacific/Kiritimati, LANG C.UTF-8, a deeper build path) and gives the same sha256 for
 * every artifact; the varied build's streamed log names the variation and shows the engine process
 * really ran under it. A definition whose staging hook writes {@code $(hostname) $(umask) $(nproc)}
 * into the image shows what of the variation reaches a sandboxed hook: the CPU count does, the
 * hostname and umask do not (the sandbox sets its own). Driven through the agent's real inbox on a
 * non-clustered Vert.x, with an artifact store and a report consumer standing in for the coordinator.
 */
@Tag("tool")
class VariedAssignmentTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static Vertx vertx;
  static WorkerAgent worker;
  static HttpServer store;
  static String storeUrl;
  static final Map<String, byte[]> OBJECTS = new ConcurrentHashMap<>();
  static final Map<String, CompletableFuture<BuildReport>> REPORTS = new ConcurrentHashMap<>();
  static final Map<String, List<BuildEvent>> EVENTS = new ConcurrentHashMap<>();
  static final AtomicInteger BUILDS = new AtomicInteger();
  static Map<String, String> components;

  @BeforeAll
  static void start() throws Exception {
    repo = FixtureYumRepo.start();
    store = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    store.createContext("/api/v1/artifacts/", VariedAssignmentTest::serveArtifact);
    store.start();
    storeUrl = "http://127.0.0.1:" + store.getAddress().getPort();
    vertx = Vertx.vertx();
    vertx.eventBus().consumer(Addresses.REPORT, message -> {
      try {
        BuildReport report = WireJson.read(String.valueOf(message.body()), BuildReport.class);
        message.reply(new JsonObject().put("recorded", true));
        REPORTS.computeIfAbsent(report.buildId(), id -> new CompletableFuture<>()).complete(report);
      } catch (WireJson.WireFormatException e) {
        message.fail(400, e.getMessage());
      }
    }).completion().await();
    Path keys = Files.createDirectories(dir.resolve("keys"));
    worker = WorkerAgent.start(vertx, "w1", "local", new WorkerAgent.Settings(dir.resolve("cache"), keys, 1, 500));
    components = new TreeMap<>(Map.of(
        "tether", put("#!/bin/sh\necho tether stand-in\n"), "unpack", put("#!/bin/sh\necho unpack stand-in\n")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (store != null) {
      store.stop(0);
    }
    if (repo != null) {
      repo.close();
    }
  }

  /**
   * The artifact store's calls the worker makes: GET and PUT /api/v1/artifacts/SHA256, checked by hash, and
   * POST /api/v1/artifacts/missing (which of a JSON array of hashes it lacks), before archiving inputs.
   */
  private static void serveArtifact(HttpExchange exchange) throws IOException {
    String sha = exchange.getRequestURI().getPath().substring("/api/v1/artifacts/".length());
    try (exchange) {
      if (exchange.getRequestMethod().equals("POST") && sha.equals("missing")) {
        String asked = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        java.util.regex.Matcher hash = java.util.regex.Pattern.compile("\"([0-9a-f]{64})\"").matcher(asked);
        List<String> lacking = new ArrayList<>();
        while (hash.find()) {
          if (!OBJECTS.containsKey(hash.group(1))) {
            lacking.add("\"" + hash.group(1) + "\"");
          }
        }
        byte[] body = ("[" + String.join(",", lacking) + "]").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
        return;
      }
      if (exchange.getRequestMethod().equals("PUT")) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        boolean matches = Sha256.of(body).equals(sha);
        if (matches) {
          OBJECTS.put(sha, body);
        }
        exchange.sendResponseHeaders(matches ? 201 : 400, -1);
        return;
      }
      byte[] body = OBJECTS.get(sha);
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String put(String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    String sha = Sha256.of(bytes);
    OBJECTS.put(sha, bytes);
    return sha;
  }

  /** Sends the definition in {@code definitionDir} to the worker's inbox as an assignment and waits for its report. */
  private static BuildReport build(Path definitionDir, BuildVariation variation) throws Exception {
    return send(definitionDir, variation).get(10, TimeUnit.MINUTES);
  }

  /** Sends the definition in {@code definitionDir} to the worker's inbox as an assignment; its report to come. */
  private static CompletableFuture<BuildReport> send(Path definitionDir, BuildVariation variation) throws Exception {
    String id = "build-" + BUILDS.incrementAndGet();
    EVENTS.put(id, Collections.synchronizedList(new ArrayList<>()));
    vertx.eventBus().<Object>consumer(Addresses.buildEvents(id), message -> {
      try {
        EVENTS.get(id).add(WireJson.read(String.valueOf(message.body()), BuildEvent.class));
      } catch (WireJson.WireFormatException e) {
        throw new AssertionError(e);
      }
    }).completion().await();
    CompletableFuture<BuildReport> report = REPORTS.computeIfAbsent(id, key -> new CompletableFuture<>());
    Assignment assignment = new Assignment(id, definitionDir.getFileName().toString(), "bootstrap", components,
        DefinitionFiles.read(definitionDir), RepoDefinitionLoader.digest(definitionDir), storeUrl, 0, variation);
    vertx.eventBus().send(Addresses.workerInbox("w1"), new JsonObject(WireJson.write(assignment)));
    return report;
  }

  private static Map<String, String> hashes(BuildReport report) {
    Map<String, String> hashes = new TreeMap<>();
    for (ArtifactRecord artifact : report.artifacts()) {
      hashes.put(artifact.name(), artifact.sha256());
    }
    return hashes;
  }

  /** The build's whole log as the worker uploaded it. */
  private static String uploadedLog(BuildReport report) {
    assertNotNull(report.log(), "the report names the uploaded log");
    return new String(OBJECTS.get(report.log()), StandardCharsets.UTF_8);
  }

  private static Manifest manifest(BuildReport report) throws IOException {
    String sha = hashes(report).get(Manifest.FILE_NAME);
    return Manifest.readJson(new ByteArrayInputStream(OBJECTS.get(sha)), "manifest of " + report.buildId());
  }

  @Test
  void variedBuildGivesTheSameArtifactsAndItsLogShowsTheVariation() throws Exception {
    Path definition = FixtureDefinitions.write(dir.resolve("same"), FixtureDefinitions.YUM, repo);
    BuildReport plain = build(definition, null);
    assertEquals(BuildState.SUCCEEDED, plain.state(), plain::toString);
    BuildReport varied = build(definition, BuildVariation.varied());
    assertEquals(BuildState.SUCCEEDED, varied.state(), () -> varied + "\n" + uploadedLog(varied));

    assertEquals(3, hashes(plain).size(), plain::toString);
    assertEquals(hashes(plain), hashes(varied), "ISO, buildinfo and manifest are bit-identical");
    org.bootfarm.protocol.build.BuildInfo info = WireJson.read(new String(OBJECTS.get(
        hashes(plain).get(org.bootfarm.protocol.build.BuildInfo.FILE_NAME)), StandardCharsets.UTF_8),
        org.bootfarm.protocol.build.BuildInfo.class);
    assertFalse(info.lock().inputs().isEmpty(), "the fixture build installed packages");
    info.lock().inputs().forEach(p -> assertTrue(OBJECTS.containsKey(p.sha256()),
        () -> "the worker did not archive input " + p.describe() + " in the store"));
    assertTrue(uploadedLog(varied).contains("archived 0 new input(s), 0 bytes;"),
        "the second build of the same inputs uploads none of them again");
    assertEquals(stageHashes(plain), stageHashes(varied), "every stage archive is bit-identical");

    String log = uploadedLog(varied);
    assertTrue(log.lines().anyMatch(l -> l.equals("[build] variation: TZ=Pacific/Kiritimati LANG=C.UTF-8 umask=077"
        + " hostname=bootfarm-rebuild cpus=1 path=+second/build/path")), log);
    String observed = log.lines().filter(l -> l.startsWith("[build] engine process: ")).findFirst().orElseThrow(
        () -> new AssertionError("the engine process did not say what it runs under:\n" + log));
    assertTrue(observed.contains("TZ=Pacific/Kiritimati LANG=C.UTF-8 LC_ALL=C.UTF-8 umask=0077"
        + " hostname=bootfarm-rebuild cpus=1 builds in "), observed);
    assertTrue(observed.endsWith("/builds/second/build/path"), observed);
    assertFalse(uploadedLog(plain).contains("variation:"), "a plain build names no variation");

    List<BuildEvent> events = new ArrayList<>(EVENTS.get(varied.buildId()));
    assertTrue(events.stream().anyMatch(e -> e.type() == BuildEvent.Type.LOG && e.text().startsWith("variation: ")),
        "the variation streams to followers");
    assertEquals(List.of("base", "staging-bootstrap", "assemble"), events.stream()
        .filter(e -> e.type() == BuildEvent.Type.STAGE_FINISHED).map(BuildEvent::stage).toList(),
        "the engine process's stage events stream to followers");
    assertTrue(events.stream().allMatch(e -> varied.buildId().equals(e.buildId())), "relayed events carry the build id");
  }

  @Test
  void hookSeesTheVariedCpuCountButTheSandboxsHostnameAndUmask() throws Exception {
    int cpus = Runtime.getRuntime().availableProcessors();
    assumeTrue(cpus > 1, "one CPU here: the varied CPU count equals the worker's");
    Path definition = FixtureDefinitions.write(dir.resolve("environment"), FixtureDefinitions.YUM, repo);
    Files.writeString(definition.resolve("staging.sh"), "\necho \"$(hostname) $(umask) $(nproc)\" > "
        + "\"$(rootfs_dir \"$PKGDIR\")/etc/build-environment\"\n", java.nio.file.StandardOpenOption.APPEND);

    BuildReport plain = build(definition, null);
    assertEquals(BuildState.SUCCEEDED, plain.state(), plain::toString);
    BuildReport varied = build(definition, BuildVariation.varied());
    assertEquals(BuildState.SUCCEEDED, varied.state(), () -> varied + "\n" + uploadedLog(varied));

    String iso = "bootstrap-fixture-yum.iso";
    assertNotEquals(hashes(plain).get(iso), hashes(varied).get(iso), "what the hook saw differs, so the ISOs do");
    assertEquals(Sha256.of(("bootfarm 0022 " + cpus + "\n").getBytes(StandardCharsets.UTF_8)),
        environmentFile(plain).sha256(), "plain: the sandbox's hostname and umask, every CPU");
    assertEquals(Sha256.of("bootfarm 0022 1\n".getBytes(StandardCharsets.UTF_8)),
        environmentFile(varied).sha256(), "varied: the sandbox's hostname and umask, one CPU");
    List<String> differences = manifest(plain).diff(manifest(varied)).stream()
        .map(d -> d.image() + ":" + d.path()).toList();
    assertEquals(List.of("initramfs:etc/build-environment", "iso:boot/core.gz"), differences,
        "only the hook's file differs, and the initramfs holding it");
  }

  @Test
  void variationWithALocaleTheWorkerLacksIsRefusedNotIgnored() throws Exception {
    Path definition = FixtureDefinitions.write(dir.resolve("refused"), FixtureDefinitions.YUM, repo);
    BuildReport refused = build(definition, new BuildVariation(null, null, "xx_XX.UTF-8", null, null, null));
    assertEquals(BuildState.FAILED, refused.state(), refused::toString);
    assertEquals("TOOL", refused.errorKind());
    assertFalse(refused.deterministic(), "another worker may have the locale");
    assertTrue(refused.error().contains("locale xx_XX.UTF-8 is not installed"), refused.error());
    assertTrue(uploadedLog(refused).contains("locale xx_XX.UTF-8 is not installed"), uploadedLog(refused));
    assertEquals(List.of(), refused.stages(), "nothing was built");
  }

  @Test
  void cancelStopsAVariedBuildsEngineProcessTreeAndIgnoresRunsItDoesNotHold() throws Exception {
    String marker = "120.4343";
    Path definition = FixtureDefinitions.write(dir.resolve("cancelled"), FixtureDefinitions.YUM, repo);
    Files.writeString(definition.resolve("staging.sh"), "\nsleep " + marker + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    CompletableFuture<BuildReport> report = send(definition, BuildVariation.varied());
    String id = "build-" + BUILDS.get();
    Eventually.holds(Duration.ofMinutes(5), Duration.ofMillis(100), () -> !sleeps(marker).isEmpty() || report.isDone());
    assertFalse(report.isDone(), () -> "the build ended before its staging.sh slept: " + report.join());
    assertFalse(sleeps(marker).isEmpty(), "staging.sh sleeps");

    vertx.eventBus().send(Addresses.workerInbox("w1"), new JsonObject(WireJson.write(new RunCancel(id, 7))));
    vertx.eventBus().send(Addresses.workerInbox("w1"), new JsonObject(WireJson.write(new RunCancel("no-such", 0))));
    vertx.eventBus().send(Addresses.workerInbox("w1"), new JsonObject().put("something", "new"));
    await("a cancel of another attempt, of another build, or an unknown message stops nothing")
        .during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> !report.isDone());
    assertFalse(report.isDone(), "a cancel of another attempt, of another build, or an unknown message stops nothing");
    assertFalse(sleeps(marker).isEmpty(), "staging.sh still sleeps");
    assertEquals(List.of(id), worker.heldBuilds());

    long cancelled = System.nanoTime();
    vertx.eventBus().send(Addresses.workerInbox("w1"), new JsonObject(WireJson.write(new RunCancel(id, 0))));
    BuildReport stopped = report.get(60, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - cancelled) / 1e9;
    assertEquals(BuildState.CANCELLED, stopped.state(), stopped::toString);
    assertEquals("CANCELLED", stopped.errorKind());
    assertEquals("cancelled by the coordinator", stopped.error());
    assertEquals(List.of(), stopped.artifacts(), "nothing is published");
    assertTrue(seconds < 30, "reported " + seconds + " s after the cancel, not after the 120 s sleep");
    assertEquals(List.of(), sleeps(marker), "the engine process's whole tree is stopped");
    assertTrue(uploadedLog(stopped).contains("cancelled by the coordinator, stopped after"), uploadedLog(stopped));
    Path builds = dir.resolve("cache/builds/second/build/path");
    try (var left = Files.list(builds)) {
      assertEquals(List.of(), left.toList(), "the varied build's directory is removed");
    }
  }

  /** Live processes running {@code sleep marker}, from /proc. */
  private static List<String> sleeps(String marker) throws IOException {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
        try {
          return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
              .equals("sleep\0" + marker + "\0") && !Files.readString(p.resolve("status")).contains("State:\tZ");
        } catch (IOException gone) {
          return false;
        }
      }).map(p -> p.getFileName().toString()).toList();
    }
  }

  private static List<String> stageHashes(BuildReport report) {
    return report.stages().stream().map(s -> s.name() + " " + s.sha256()).toList();
  }

  private static ManifestEntry environmentFile(BuildReport report) throws IOException {
    return manifest(report).entries().stream().filter(e -> e.path().endsWith("etc/build-environment"))
        .findFirst().orElseThrow(() -> new AssertionError("no etc/build-environment in " + report.buildId()));
  }
}
