package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.HttpAnswer;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of a {@code bootfarm coordinator} and a {@code bootfarm worker} process (the
 * fixture yum repo, one tdnf worker): two builds of one repo succeed and a build of a broken copy fails,
 * then a nightly run is started; both scrapes hold every name docs/metrics.md lists for their process
 * (the tables are read from the file, so the catalogue and the exporters cannot drift apart), and the
 * values moved as the builds did: submitted and finished counts, the cache missed on the first build and
 * hit on the second, the queue empty at the end. Then, on the same farm (ADR 0041): an upload that would cross
 * the store's quota is refused 507 and leaves the store as it was, and twenty slow uploads (one byte a second)
 * hold upload threads while a build that outlasts two leases is submitted and runs: it succeeds with its lease
 * intact, because
 * uploads never take the threads leases, reports and the build store use.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsProcessesTest {
  static final String BROKEN = "fixture-broken";
  /** A copy whose staging hook sleeps: a build that outlasts two leases, added only for the upload test. */
  static final String SLOW = "fixture-slow";
  static final Pattern ROW = Pattern.compile("^\\| `([a-z_]+)` \\| (counter|gauge|histogram) \\|");

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static int workerMetricsPort;
  /** A client of its own for the slow uploads, so that the farm's and the worker's uploads have theirs. */
  static String slowToken;
  static final List<Socket> slowUploads = new ArrayList<>();

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path definition = FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    // a copy under another name whose staging hook fails: a deterministic failure after the package install
    Path broken = Files.createDirectories(repos.resolve(BROKEN));
    try (var files = Files.list(definition)) {
      for (Path file : files.toList()) {
        Files.copy(file, broken.resolve(file.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    Path spec = broken.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace(FixtureDefinitions.TDNF, BROKEN));
    // the staging hook runs after the base stage installed its packages: a failure with downloads counted
    Path staging = broken.resolve("staging.sh");
    Files.writeString(staging, "#!/bin/bash\necho 'this hook fails on purpose' >&2\nexit 3\n");
    Files.setPosixFilePermissions(staging, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    slowToken = DefaultTokensFile.newToken();
    Files.writeString(farm.tokensFile, "slow-client " + slowToken + " submit\n", StandardOpenOption.APPEND);
    // room for twenty uploads of one client and the farm's own; a quota the test's oversized upload crosses; no
    // minimum rate (cut-offs: BoundedUploadsTest); the 10 s lease (a 5 s one expired on a loaded
    // machine with no upload at all), which the upload test's build outlasts twice
    farm.start("coordinator", List.of("coordinator", "--nightly", "off", "--bridge-port", "0", "--data-dir",
        dir.resolve("c").toString(), "--repos", repos.toString(), "--keys", keys.toString(), "--http-port",
        String.valueOf(farm.httpPort), "--cluster-name", farm.cluster, "--cluster-port",
        String.valueOf(farm.clusterPort), "--upload-threads", "24", "--uploads-per-client", "20",
        "--upload-min-rate", "0", "--store-quota", "1G"));
    farm.awaitLine("coordinator", " ready: ", 90);
    workerMetricsPort = FreePorts.one();
    farm.startWorker("worker", List.of("--worker-id", "w-metrics", "--metrics-port",
        String.valueOf(workerMetricsPort)));
    farm.awaitLine("worker", " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() throws IOException {
    for (Socket socket : slowUploads) {
      socket.close();
    }
    farm.close();
    repo.close();
  }

  /** The metric names docs/metrics.md lists under {@code ## <section>}, with their types. */
  static Map<String, String> catalogue(String section) throws Exception {
    Map<String, String> names = new LinkedHashMap<>();
    boolean inSection = false;
    for (String line : Files.readAllLines(metricsDoc())) {
      if (line.startsWith("## ")) {
        inSection = line.startsWith("## " + section);
        continue;
      }
      Matcher row = ROW.matcher(line);
      if (inSection && row.find()) {
        names.put(row.group(1), row.group(2));
      }
    }
    assertTrue(names.size() >= 8, "docs/metrics.md has a table under '## " + section + "': " + names);
    return names;
  }

  /** docs/metrics.md of this checkout, found upwards from the working directory (the module's). */
  static Path metricsDoc() {
    for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
      if (Files.isRegularFile(at.resolve("docs/metrics.md"))) {
        return at.resolve("docs/metrics.md");
      }
    }
    throw new AssertionError("no docs/metrics.md above " + Path.of("").toAbsolutePath());
  }

  /** One scrape of {@code url}: its text, after checking the content type. */
  static String scrapeText(String url) throws Exception {
    HttpResponse<String> response = FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), url + ": " + response.body());
    assertEquals("text/plain; version=0.0.4; charset=utf-8",
        response.headers().firstValue("Content-Type").orElse(null), url);
    return response.body();
  }

  /** Series ({@code name{labels}} as written) to value. */
  static Map<String, Double> series(String text) {
    Map<String, Double> series = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        int space = line.lastIndexOf(' ');
        series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return series;
  }

  static Map<String, Double> coordinator() throws Exception {
    return series(scrapeText(farm.api + "/metrics"));
  }

  static Map<String, Double> worker() throws Exception {
    return series(scrapeText("http://127.0.0.1:" + workerMetricsPort + "/metrics"));
  }

  /** The worker's scrape once {@code until} holds (it counts a build as it sends the report), or fails. */
  static Map<String, Double> workerOnce(Predicate<Map<String, Double>> until, String what) throws Exception {
    Map<String, Double> scraped = Eventually.value(Duration.ofSeconds(10), MetricsProcessesTest::worker, until);
    Map<String, Double> last = scraped;
    assertTrue(until.test(last), () -> what + "; the worker's scrape: " + last);
    return last;
  }

  static double value(Map<String, Double> series, String name) {
    Double value = series.get(name);
    assertNotNull(value, () -> name + " is not in the scrape: " + series.keySet());
    return value;
  }

  /** The names of {@code catalogue} missing from a scrape: a histogram needs its _bucket, _count and _sum. */
  static List<String> missing(Map<String, String> catalogue, Map<String, Double> scraped) {
    List<String> missing = new ArrayList<>();
    catalogue.forEach((name, type) -> {
      List<String> wanted = type.equals("histogram") ? List.of(name + "_bucket", name + "_count", name + "_sum")
          : List.of(name);
      for (String series : wanted) {
        if (scraped.keySet().stream().noneMatch(s -> s.equals(series) || s.startsWith(series + "{"))) {
          missing.add(series);
        }
      }
    });
    return missing;
  }

  static boolean has(Map<String, Double> scraped, String prefix) {
    return scraped.keySet().stream().anyMatch(s -> s.startsWith(prefix));
  }

  static JsonNode build(String repoName) throws Exception {
    Map<String, String> components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
    return farm.awaitBuild(farm.submit(repoName, components), FarmProcesses::finished);
  }

  @Test
  @Order(1)
  void bothProcessesExportTheCatalogueAndTheValuesFollowTheBuilds() throws Exception {
    long began = System.nanoTime();
    String tdnf = "repo=\"" + FixtureDefinitions.TDNF + "\"";
    JsonNode first = build(FixtureDefinitions.TDNF);
    assertEquals("SUCCEEDED", first.get("state").asText(), first::toString);
    Map<String, Double> afterFirst = workerOnce(s -> s.containsKey("bootfarm_package_cache_misses_total{" + tdnf + "}"),
        "the first build's cache use is counted");
    double misses = value(afterFirst, "bootfarm_package_cache_misses_total{" + tdnf + "}");
    assertTrue(misses > 0, "the first build downloads its packages: " + misses);
    assertEquals(0.0, value(afterFirst, "bootfarm_package_cache_hits_total{" + tdnf + "}"));
    assertTrue(value(afterFirst, "bootfarm_package_cache_downloaded_bytes_total{" + tdnf + "}") > 0);
    double cacheSize = value(afterFirst, "bootfarm_package_cache_size_bytes{" + tdnf + "}");
    assertTrue(cacheSize > 0, "the repo's cache directory holds the packages");

    JsonNode second = build(FixtureDefinitions.TDNF);
    assertEquals("SUCCEEDED", second.get("state").asText(), second::toString);
    JsonNode failed = build(BROKEN);
    assertEquals("FAILED", failed.get("state").asText(), failed::toString);
    // a nightly run now: with one worker its pairs cannot run, so they are judged FAILED at once
    HttpResponse<String> nightly = FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create(farm.api
        + "/api/v1/nightly")).header("Authorization", "Bearer " + farm.adminToken()).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, nightly.statusCode(), nightly.body());
    long buildsDone = System.nanoTime();

    Map<String, Double> worker = workerOnce(s -> s.getOrDefault("bootfarm_worker_builds_total{outcome=\"failed\","
        + "repo=\"" + BROKEN + "\",target=\"bootstrap\"}", 0.0) == 1.0, "the failed build is counted");
    String coordinatorText = scrapeText(farm.api + "/metrics");
    Map<String, Double> coordinator = series(coordinatorText);
    String workerText = scrapeText("http://127.0.0.1:" + workerMetricsPort + "/metrics");
    Files.writeString(dir.resolve("coordinator.prom"), coordinatorText);
    Files.writeString(dir.resolve("worker.prom"), workerText);
    System.out.println("=== coordinator scrape ===\n" + coordinatorText + "\n=== worker scrape ===\n" + workerText);

    // (a) the catalogue, table by table, plus Vert.x's, the JVM's and the process's own meters
    assertEquals(List.of(), missing(catalogue("Coordinator"), coordinator), "coordinator names missing");
    assertEquals(List.of(), missing(catalogue("Worker"), worker), "worker names missing");
    for (String prefix : List.of("vertx_eventbus_", "vertx_http_server_", "jvm_", "process_")) {
      assertTrue(has(coordinator, prefix), "the coordinator exports " + prefix + "*");
    }
    for (String prefix : List.of("vertx_eventbus_", "jvm_", "process_")) {
      assertTrue(has(worker, prefix), "the worker exports " + prefix + "*");
    }

    // (b) the values follow the builds
    String tdnfBuild = "{" + tdnf + ",target=\"bootstrap\"}";
    assertEquals(1.0, value(coordinator, "bootfarm_coordinator_active"));
    assertEquals(2.0, value(coordinator, "bootfarm_builds_submitted_total{priority=\"interactive\"," + tdnf
        + ",target=\"bootstrap\"}"));
    assertEquals(2.0, value(coordinator, "bootfarm_builds_started_total" + tdnfBuild));
    assertEquals(2.0, value(coordinator, "bootfarm_builds_finished_total{outcome=\"succeeded\"," + tdnf
        + ",target=\"bootstrap\"}"));
    assertEquals(1.0, value(coordinator, "bootfarm_builds_finished_total{outcome=\"failed\",repo=\"" + BROKEN
        + "\",target=\"bootstrap\"}"));
    assertEquals(2.0, value(coordinator, "bootfarm_build_duration_seconds_count{outcome=\"succeeded\"," + tdnf
        + ",target=\"bootstrap\"}"));
    assertEquals(0.0, value(coordinator, "bootfarm_queue_depth{priority=\"interactive\"}"));
    assertEquals(0.0, value(coordinator, "bootfarm_queue_depth{priority=\"nightly\"}"));
    assertEquals(0.0, value(coordinator, "bootfarm_queue_oldest_age_seconds"));
    assertEquals(1.0, value(coordinator, "bootfarm_workers_live"));
    assertEquals(0.0, value(coordinator, "bootfarm_lease_expiries_total"));
    assertEquals(0.0, value(coordinator, "bootfarm_build_retries_total{" + tdnf + "}"));
    assertEquals(1.0, value(coordinator, "bootfarm_nightly_runs_total"));
    assertEquals(2.0, value(coordinator, "bootfarm_nightly_last_run_pairs"), "one pair per repo");
    assertEquals(2.0, value(coordinator, "bootfarm_nightly_last_run_failures"), "one worker: no pair could run");
    assertTrue(value(coordinator, "bootfarm_nightly_last_run_timestamp_seconds") * 1000
        > System.currentTimeMillis() - 600_000, "the run started just now");
    assertEquals(0.0, value(coordinator, "bootfarm_nightly_next_run_timestamp_seconds"), "--nightly off");
    assertEquals(1.0, value(coordinator, "bootfarm_verdicts_total{" + tdnf + ",target=\"bootstrap\","
        + "verdict=\"failed\"}"));
    assertEquals(0.0, value(coordinator, "bootfarm_repo_reproducible" + tdnfBuild));
    assertTrue(value(coordinator, "bootfarm_artifact_store_objects") >= 5, "components, artifacts and logs");
    assertTrue(value(coordinator, "bootfarm_artifact_store_bytes") > 0);

    assertEquals(2.0, value(worker, "bootfarm_worker_builds_total{outcome=\"succeeded\"," + tdnf
        + ",target=\"bootstrap\"}"));
    assertEquals(misses, value(worker, "bootfarm_package_cache_misses_total{" + tdnf + "}"),
        "the second build of the repo downloads nothing");
    // the second build's base comes from the stage cache (ADR 0025): only its later stages install packages,
    // every one of them from the package cache, as its own report says
    assertEquals(second.get("packageCache").get("fromCache").asDouble(),
        value(worker, "bootfarm_package_cache_hits_total{" + tdnf + "}"), second::toString);
    assertEquals(1.0, value(worker, "bootfarm_stages_total{" + tdnf + ",source=\"cache\",stage=\"base\","
        + "target=\"bootstrap\"}"), "the second build restored base from the stage cache");
    assertEquals(1.0, value(worker, "bootfarm_stages_total{" + tdnf + ",source=\"built\",stage=\"base\","
        + "target=\"bootstrap\"}"), "the first build ran base");
    assertTrue(value(worker, "bootfarm_package_cache_misses_total{repo=\"" + BROKEN + "\"}") > 0,
        "a failed build's downloads are counted too");
    assertEquals(2.0, value(worker, "bootfarm_stage_duration_seconds_count{" + tdnf
        + ",stage=\"base\",target=\"bootstrap\"}"));
    assertEquals(1.0, value(worker, "bootfarm_slots"));
    assertEquals(0.0, value(worker, "bootfarm_slots_busy"));
    System.out.println("metrics process test: 3 builds and a nightly run in "
        + (buildsDone - began) / 1_000_000 + " ms");
  }

  /** Opens {@code PUT} of {@code sha256} with the slow client's token and sends its head; the body is up to the caller. */
  static Socket openUpload(String sha256, long contentLength) throws IOException {
    Socket socket = new Socket("127.0.0.1", farm.httpPort);
    socket.setSoTimeout(30_000);
    socket.getOutputStream().write(("PUT /api/v1/artifacts/" + sha256 + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Authorization: Bearer " + slowToken + "\r\nContent-Length: " + contentLength + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  @Test
  @Order(2)
  void uploadsAreBoundedAndABuildRunsAndKeepsItsLeaseWhileTwentyTrickleIn() throws Exception {
    Map<String, Double> before = coordinator();
    Path incoming = dir.resolve("c/coordinator/artifacts/incoming");

    // an upload that would cross the 1 GiB quota: refused before a byte is stored
    String huge = Sha256.of("not this".getBytes(StandardCharsets.UTF_8));
    try (Socket socket = openUpload(huge, 2L << 30)) {
      socket.getOutputStream().write(new byte[4096]);
      HttpAnswer refused = HttpAnswer.read(socket);
      assertEquals(507, refused.status(), refused::toString);
      assertTrue(refused.body().contains("of its 1 GiB quota (--store-quota)")
          && refused.body().contains("this one needs 2 GiB") && refused.body().contains("Free space with 'bootfarm gc'"),
          refused::toString);
    }
    HttpResponse<String> head = FarmProcesses.HTTP.send(farm.request("/api/v1/artifacts/" + huge)
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, head.statusCode(), "nothing of the refused upload was published");
    try (var left = Files.list(incoming)) {
      assertEquals(List.of(), left.toList(), "no partial object is left");
    }
    Map<String, Double> afterRefusal = coordinator();
    assertEquals(value(before, "bootfarm_artifact_store_bytes"), value(afterRefusal, "bootfarm_artifact_store_bytes"));
    assertEquals(1.0, value(afterRefusal, "bootfarm_uploads_refused_total{reason=\"quota\"}"));

    // twenty uploads of one byte a second: all twenty run, a twenty-first of the same client is told to wait
    for (int i = 0; i < 20; i++) {
      byte[] content = ("slow upload " + i + " ").repeat(8).getBytes(StandardCharsets.UTF_8);
      Socket socket = openUpload(Sha256.of(content), content.length);
      slowUploads.add(socket);
      Thread sender = new Thread(() -> {
        try {
          for (byte b : content) {
            socket.getOutputStream().write(b);
            socket.getOutputStream().flush();
            Thread.sleep(1000);
          }
        } catch (IOException | InterruptedException e) {
          // the test ended
        }
      });
      sender.setDaemon(true);
      sender.start();
    }
    assertTrue(Eventually.holds(Duration.ofSeconds(10), Eventually.EVERY,
        () -> Double.valueOf(20.0).equals(coordinator().get("bootfarm_uploads_in_flight"))), "twenty slow uploads run");
    try (Socket socket = openUpload(Sha256.of("one too many".getBytes(StandardCharsets.UTF_8)), 12)) {
      HttpAnswer refused = HttpAnswer.read(socket);
      assertEquals(429, refused.status(), refused::toString);
      assertEquals("5", refused.headers().get("retry-after"), refused::toString);
      assertTrue(refused.body().contains("its limit (--uploads-per-client)"), refused::toString);
    }

    // the submit, the worker's claim, its lease renewals and its report all go on meanwhile, through a build
    // whose staging hook sleeps 25 s: more than two 10 s leases
    Path slow = Files.createDirectories(dir.resolve("repos").resolve(SLOW));
    try (var files = Files.list(dir.resolve("repos").resolve(FixtureDefinitions.TDNF))) {
      for (Path file : files.toList()) {
        Files.copy(file, slow.resolve(file.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    Path spec = slow.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace(FixtureDefinitions.TDNF, SLOW));
    Files.writeString(slow.resolve("staging.sh"), "#!/bin/bash\nsleep 25\n");
    assertTrue(Eventually.holds(Duration.ofSeconds(20), Eventually.EVERY,
        () -> farm.get("/api/v1/repos").toString().contains(SLOW)), "the coordinator reads the new definition");
    long began = System.nanoTime();
    JsonNode build = build(SLOW);
    long seconds = (System.nanoTime() - began) / 1_000_000_000;
    assertEquals("SUCCEEDED", build.get("state").asText(), build::toString);
    Map<String, Double> after = coordinator();
    assertEquals(20.0, value(after, "bootfarm_uploads_in_flight"), "the slow uploads trickled on throughout");
    assertEquals(0.0, value(after, "bootfarm_lease_expiries_total"), "the build's lease held for " + seconds + " s");
    assertTrue(seconds >= 25, "the build outlasted two leases: " + seconds + " s");
    assertEquals(0, build.get("attempts").asInt(), () -> "the build was never put back in the queue: " + build);
    assertEquals(0.0, after.getOrDefault("bootfarm_build_retries_total{repo=\"" + SLOW + "\"}", 0.0));
    assertEquals(1.0, value(after, "bootfarm_uploads_refused_total{reason=\"client_limit\"}"));
    System.out.println("bounded uploads: a build of " + seconds + " s ran under twenty slow uploads, its 10 s lease held");
  }
}
