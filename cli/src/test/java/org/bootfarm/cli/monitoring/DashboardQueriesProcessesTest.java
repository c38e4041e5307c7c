package org.bootfarm.cli.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bootfarm.cli.Main;
import org.bootfarm.testkit.ChildJvm;
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
 * Issue 5's proof that the dashboards show data: {@code deploy/local-cluster.sh} starts a coordinator, two
 * workers and Debian's Prometheus as processes on 127.0.0.1 (free ports, the fixture yum repo), builds run
 * through the farm with the CLI over the bridge (two repos twice each, so the second build of each finds a
 * warm cache, a slow build whose worker is killed with SIGKILL and started again with {@code local-cluster.sh
 * restart}, so the build is retried, a repo whose base.sh fails, and a {@code nightly --now --wait} whose pairs
 * are judged reproducible, unreproducible and failed), and once Prometheus has scraped everything twice more,
 * every query of every panel of every dashboard in {@code grafana/dashboards/} is evaluated through
 * Prometheus's HTTP API and must return data, and every metric it names must have series; the alert rules of
 * {@code deploy/prometheus/alerts.yml} must be loaded and healthy. All failing queries are reported together.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardQueriesProcessesTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "dashboard-test-token-0123456789abcdef";
  static final List<String> CLEAN = List.of("fixture-alpha", "fixture-beta");
  static final String NOISE = "fixture-noise";
  static final String BROKEN = "fixture-broken";
  /** A repo whose staging.sh waits at {@link #GATE}, so that its build is caught running on a worker then killed. */
  static final String SLOW = "fixture-slow";
  static final Gate GATE = new Gate("dashboard-slow");
  /** Opens the gate for every slow build once the one caught running was retried. */
  static AutoCloseable slowBuildsGoOn;
  /** Grafana's built-in interval variables, as Grafana would fill them in for a short dashboard range. */
  static final Map<String, String> GRAFANA_BUILTINS = Map.of("$__rate_interval", "1m", "$__interval", "15s",
      "${__rate_interval}", "1m", "${__interval}", "15s", "$__range", "1h", "${__range}", "1h");
  static final Pattern VARIABLE = Pattern.compile("\\$\\{?\\w+");

  /** What the run must have made the farm count, so that the panels show more than zeros. */
  static final Map<String, String> RUN_SHOWS = new java.util.LinkedHashMap<>();

  static {
    RUN_SHOWS.put("sum(bootfarm_package_cache_hits_total) > 0", "a build found packages in a warm cache");
    RUN_SHOWS.put("sum(bootfarm_package_cache_misses_total) > 0", "a build downloaded packages");
    RUN_SHOWS.put("sum(bootfarm_builds_finished_total{outcome=\"failed\"}) > 0", "a build failed");
    RUN_SHOWS.put("sum(bootfarm_build_retries_total) > 0", "a build was retried");
    RUN_SHOWS.put("sum(bootfarm_lease_expiries_total) > 0", "a lease was lost");
    RUN_SHOWS.put("sum(bootfarm_verdicts_total{verdict=\"unreproducible\"}) > 0", "a pair was unreproducible");
    RUN_SHOWS.put("max(bootfarm_nightly_last_run_failures) > 0", "the nightly run had failures");
    RUN_SHOWS.put("max(bootfarm_nightly_last_run_timestamp_seconds) > 0", "a nightly run started");
  }

  @TempDir static Path dir;
  static Path checkout;
  static Path script;
  static Path state;
  static FixtureYumRepo repo;
  static Path repos;
  static String prometheus;
  static String coordinatorApi;
  static String bridge;
  static Path tether;
  static Path unpack;
  static boolean started;
  static long began;

  @BeforeAll
  static void startLocalCluster() throws Exception {
    began = System.nanoTime();
    checkout = MonitoringFiles.repoRoot();
    script = checkout.resolve("deploy/local-cluster.sh");
    state = dir.resolve("state");
    repo = FixtureYumRepo.start();
    repos = Files.createDirectories(dir.resolve("repos"));
    for (String name : CLEAN) {
      writeTdnfDefinitionAs(name, "");
    }
    writeTdnfDefinitionAs(NOISE, String.join("\n", "", "mkdir -p \"$(rootfs_dir \"$PKGDIR\")/etc\"",
        "head -c 16 /dev/urandom > \"$(rootfs_dir \"$PKGDIR\")/etc/noise\"", ""));
    writeTdnfDefinitionAs(BROKEN, "\necho 'fixture-broken: failing on purpose' >&2\nexit 3\n");
    writeTdnfDefinitionAs(SLOW, "");
    // the slow repo's staging.sh (every build runs it) waits at the gate until the test lets it go on
    Path staging = Files.writeString(repos.resolve(SLOW).resolve("staging.sh"), "#!/bin/bash\n" + GATE.hookLines());
    Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path keys = Files.createDirectories(dir.resolve("keys"));
    // the workers upload with the 'workers' line, which local-cluster.sh hands them as --token-file
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci " + TOKEN + " admin\nworkers "
        + "dashboard-workers-0123456789abcdef submit\n");
    tether = Files.writeString(dir.resolve("tether"), "tether\n");
    unpack = Files.writeString(dir.resolve("unpack"), "unpack\n");

    int httpPort = FreePorts.one();
    int bridgePort = FreePorts.one();
    int clusterPort = FreePorts.one();
    int workerClusterPorts = FreePorts.consecutive(2);
    int metricsPorts = FreePorts.consecutive(2);
    int prometheusPort = FreePorts.one();
    coordinatorApi = "http://127.0.0.1:" + httpPort;
    bridge = "127.0.0.1:" + bridgePort;
    prometheus = "http://127.0.0.1:" + prometheusPort;
    started = true; // from here on, teardown stops whatever the script got to start
    Shell start = script("start", "-n", "2", "--state", state.toString(), "--repos", repos.toString(), "--keys",
        keys.toString(), "--cluster-name", "dashboards-" + clusterPort, "--http-port", String.valueOf(httpPort),
        "--bridge-port", String.valueOf(bridgePort), "--cluster-port", String.valueOf(clusterPort),
        "--worker-cluster-port", String.valueOf(workerClusterPorts), "--metrics-port", String.valueOf(metricsPorts),
        "--prometheus-port", String.valueOf(prometheusPort), "--timeout", "240",
        "--", "--tokens", tokens.toString(), "--nightly", "0 2 1 1 *",
        // as FarmProcesses.STEAL_AFTER: the fixture builds take seconds, not the 30 s default's cold mirror
        "--steal-after", System.getProperty("bootfarm.test.stealAfter", "2s"));
    assertEquals(0, start.exitCode, () -> "local-cluster.sh start failed:\n" + start);
    System.out.println("local-cluster.sh start: " + start.millis + " ms\n" + start.stdout);
    awaitWorkers(2);
  }

  @AfterAll
  static void stopLocalCluster() throws Exception {
    if (slowBuildsGoOn != null) {
      slowBuildsGoOn.close();
    }
    try {
      if (started) {
        Shell stop = script("stop", "--state", state.toString());
        assertEquals(0, stop.exitCode, stop::toString);
        Shell status = script("status", "--state", state.toString());
        assertTrue(status.stdout.contains("nothing running"), () -> "after stop nothing runs:\n" + status);
      }
    } finally {
      String keep = System.getProperty("bootfarm.test.keepLogs");
      if (keep != null && Files.isDirectory(state)) {
        Path target = Files.createDirectories(Path.of(keep));
        try (Stream<Path> files = Files.list(state)) {
          for (Path file : files.filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".yml")).toList()) {
            Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      if (repo != null) {
        repo.close();
      }
      System.out.println("DashboardQueriesProcessesTest, whole run: " + (System.nanoTime() - began) / 1_000_000
          + " ms");
    }
  }

  // --- the run

  @Test
  @Order(1)
  void buildsRunThroughTheFarm() throws Exception {
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      // first builds of each repo at once: two workers, one slot each, so one waits in the queue
      List<Future<Shell>> first = new ArrayList<>();
      for (String name : List.of(CLEAN.get(0), CLEAN.get(1), NOISE)) {
        first.add(pool.submit(() -> cli("submit", name, "--component", "tether=" + tether, "--component",
            "unpack=" + unpack, "--wait", "--json", "--patience", "10m")));
      }
      for (Future<Shell> build : first) {
        assertBuild("SUCCEEDED", build.get(15, TimeUnit.MINUTES));
      }
      // second builds of the clean repos: their home workers' caches are warm now
      List<Future<Shell>> second = new ArrayList<>();
      for (String name : CLEAN) {
        second.add(pool.submit(() -> cli("submit", name, "--component", "tether=" + tether, "--component",
            "unpack=" + unpack, "--wait", "--json", "--patience", "10m")));
      }
      for (Future<Shell> build : second) {
        assertBuild("SUCCEEDED", build.get(15, TimeUnit.MINUTES));
      }
    } finally {
      pool.shutdownNow();
    }
    buildOnAKilledWorkerIsRetriedElsewhere();

    Shell broken = cli("submit", BROKEN, "--component", "tether=" + tether, "--component", "unpack=" + unpack,
        "--wait", "--json", "--patience", "10m");
    assertNotEquals(0, broken.exitCode, broken::toString);
    assertBuild("FAILED", broken);

    Shell nightly = cli("nightly", "--now", "--wait", "--json", "--patience", "15m");
    assertEquals(1, nightly.exitCode, () -> "a run with an unreproducible pair exits 1: " + nightly);
    JsonNode run = JSON.readTree(nightly.stdout);
    assertTrue(run.hasNonNull("finishedAt"), run::toString);
    List<String> outcomes = new ArrayList<>();
    run.get("pairs").forEach(pair -> outcomes.add(pair.get("repo").asText() + "=" + pair.get("outcome").asText()));
    assertTrue(outcomes.contains(NOISE + "=UNREPRODUCIBLE") && outcomes.contains(CLEAN.get(0) + "=REPRODUCIBLE"),
        () -> "the nightly run judged " + outcomes);
    System.out.println("builds and nightly run: " + (System.nanoTime() - t0) / 1_000_000 + " ms; nightly pairs "
        + outcomes);
  }

  /**
   * A lost lease and a retry, which the dashboards count: a slow build is caught running, its worker is killed
   * with SIGKILL and started again with {@code local-cluster.sh restart}; the build is queued again and succeeds.
   */
  static void buildOnAKilledWorkerIsRetriedElsewhere() throws Exception {
    Shell submitted = cli("submit", SLOW, "--component", "tether=" + tether, "--component", "unpack=" + unpack,
        "--json");
    assertEquals(0, submitted.exitCode, submitted::toString);
    String id = JSON.readTree(submitted.stdout).get("id").asText();
    GATE.awaitReached(state, Duration.ofMinutes(2));
    JsonNode build = Eventually.value(Duration.ofMinutes(2), () -> get(coordinatorApi + "/api/v1/builds/" + id),
        b -> b.path("state").asText().equals("RUNNING") && b.hasNonNull("worker"));
    assertEquals("RUNNING", build.path("state").asText(), build::toString);
    String victim = build.get("worker").asText().replace("local-worker-", "worker-");
    long pid = Long.parseLong(Files.readString(state.resolve(victim + ".pid")).strip());
    ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(victim + " is not running"));
    process.destroyForcibly();
    process.onExit().get(30, TimeUnit.SECONDS);
    Shell restart = script("restart", victim, "--state", state.toString());
    assertEquals(0, restart.exitCode, restart::toString);
    // from here on every build of the slow repo goes on at once: this one's retry, the nightly run's pair
    slowBuildsGoOn = GATE.keepOpening(state);
    JsonNode retried = Eventually.value(Duration.ofMinutes(5), () -> get(coordinatorApi + "/api/v1/builds/" + id),
        b -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(b.path("state").asText()));
    assertEquals("SUCCEEDED", retried.path("state").asText(), retried::toString);
    assertTrue(retried.path("attempts").asInt() >= 1, () -> "the build was retried after its worker died: " + retried);
    awaitWorkers(2);
  }

  static void awaitWorkers(int count) throws Exception {
    Eventually.value(Duration.ofSeconds(90), () -> get(coordinatorApi + "/api/v1/workers").get("workers").size(),
        live -> live >= count);
    assertEquals(count, get(coordinatorApi + "/api/v1/workers").get("workers").size(),
        () -> count + " workers are live: " + logsOrNote());
  }

  @Test
  @Order(2)
  void everyQueryOfEveryDashboardPanelReturnsData() throws Exception {
    awaitTwoScrapesFromNow();
    // the check itself can fail: a name nobody exports and a 0/0 are no data
    assertTrue(evaluate("bootfarm_no_such_metric_total") != null && evaluate("0/0") != null
        && evaluate("up{job=\"bootfarm-worker\"}") == null, "the query check tells data from no data");
    java.util.Set<String> exported = new java.util.HashSet<>();
    get(prometheus + "/api/v1/label/__name__/values").path("data").forEach(name -> exported.add(name.asText()));
    List<Path> dashboards = dashboardFiles();
    assertTrue(!dashboards.isEmpty(), "no dashboards in " + checkout.resolve("grafana/dashboards")
        + ": there is nothing to check, and issue 5 asks for four");
    List<String> failures = new ArrayList<>();
    int queries = 0;
    for (Path file : dashboards) {
      JsonNode dashboard = JSON.readTree(file.toFile());
      int queriesOfDashboard = 0;
      for (JsonNode panel : DashboardsTest.panels(dashboard)) {
        String where = file.getFileName() + " / panel \"" + panel.path("title").asText("(untitled)") + "\"";
        List<String> exprs = new ArrayList<>();
        for (JsonNode target : panel.path("targets")) {
          if (target.hasNonNull("expr") && !target.get("expr").asText().isBlank()) {
            exprs.add(target.get("expr").asText());
          }
        }
        if (exprs.isEmpty()) {
          if (!List.of("row", "text", "news", "dashlist").contains(panel.path("type").asText())) {
            failures.add(where + ": a " + panel.path("type").asText() + " panel with no PromQL query");
          }
          continue;
        }
        for (String expr : exprs) {
          queries++;
          queriesOfDashboard++;
          String problem = evaluate(expr);
          if (problem != null) {
            failures.add(where + "\n    expr: " + expr + "\n    got:  " + problem);
          }
          // a name without series is no data too, even where "or vector(0)" makes the query answer
          List<String> missing = PromqlNames.selected(expr).stream().filter(name -> !exported.contains(name)).toList();
          if (!missing.isEmpty()) {
            failures.add(where + "\n    expr: " + expr + "\n    names no series Prometheus holds: " + missing);
          }
        }
      }
      if (queriesOfDashboard == 0) {
        failures.add(file.getFileName() + ": no panel has a query");
      }
    }
    for (Map.Entry<String, String> shown : RUN_SHOWS.entrySet()) {
      String problem = evaluate(shown.getKey());
      if (problem != null) {
        failures.add("the run did not show that " + shown.getValue() + ": " + shown.getKey() + " gave " + problem);
      }
    }
    System.out.println("evaluated " + queries + " queries of " + dashboards.size() + " dashboards; "
        + failures.size() + " findings");
    if (!failures.isEmpty()) {
      fail(failures.size() + " findings over " + queries + " dashboard queries: no data from Prometheus " + prometheus
          + " (a name nobody exports, a wrong query, or a run that does not exercise it):\n  "
          + String.join("\n  ", failures));
    }
  }

  @Test
  @Order(3)
  void alertRulesAreLoadedAndHealthy() throws Exception {
    Path rules = checkout.resolve("deploy/prometheus/alerts.yml");
    if (!Files.exists(rules)) {
      System.out.println("no " + rules + " yet: alert rules not checked");
      return;
    }
    List<String> problems = new ArrayList<>();
    // the rules Prometheus loaded, one entry per rule: null when healthy, else what is wrong with it
    List<String> rulesRead = Eventually.value(Duration.ofSeconds(30), Duration.ofMillis(500), () -> {
      List<String> read = new ArrayList<>();
      for (JsonNode group : get(prometheus + "/api/v1/rules").path("data").path("groups")) {
        for (JsonNode rule : group.path("rules")) {
          read.add("ok".equals(rule.path("health").asText()) ? null : group.path("name").asText() + " / "
              + rule.path("name").asText() + ": health " + rule.path("health").asText() + " "
              + rule.path("lastError").asText("") + "\n    query: " + rule.path("query").asText());
        }
      }
      return read;
    }, read -> !read.isEmpty() && read.stream().allMatch(java.util.Objects::isNull));
    rulesRead.stream().filter(java.util.Objects::nonNull).forEach(problems::add);
    final int loaded = rulesRead.size();
    assertTrue(loaded > 0, () -> rules + " exists but Prometheus loaded no rule from it; " + logsOrNote());
    assertTrue(problems.isEmpty(), () -> "of " + loaded + " alert rules, these are not healthy:\n  "
        + String.join("\n  ", problems));
    System.out.println(loaded + " alert rules loaded, all healthy");
  }

  // --- Prometheus

  /**
   * Evaluates {@code expr} as an instant query now; returns null when it returned data, else what came back.
   * Data is a vector or matrix with at least one series holding a number, or a scalar that is a number.
   */
  static String evaluate(String expr) throws Exception {
    String query = expr;
    for (Map.Entry<String, String> builtin : GRAFANA_BUILTINS.entrySet()) {
      query = query.replace(builtin.getKey(), builtin.getValue());
    }
    Matcher variable = VARIABLE.matcher(query);
    if (variable.find()) {
      return "template variable " + variable.group() + ": dashboards must use plain PromQL";
    }
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(prometheus + "/api/v1/query?query="
        + URLEncoder.encode(query, StandardCharsets.UTF_8))).GET().build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    if (!"success".equals(body.path("status").asText())) {
      return "HTTP " + response.statusCode() + " " + body.path("errorType").asText() + ": " + body.path("error")
          .asText();
    }
    JsonNode data = body.path("data");
    JsonNode result = data.path("result");
    switch (data.path("resultType").asText()) {
      case "scalar", "string" -> {
        return isNumber(result.path(1).asText()) ? null : data.path("resultType").asText() + " " + result;
      }
      case "vector" -> {
        for (JsonNode series : result) {
          if (isNumber(series.path("value").path(1).asText())) {
            return null;
          }
        }
        return result.isEmpty() ? "an empty vector" : "only NaN values: " + result;
      }
      case "matrix" -> {
        return result.isEmpty() ? "an empty matrix" : null;
      }
      default -> {
        return "unexpected result " + data;
      }
    }
  }

  static boolean isNumber(String value) {
    return !value.isEmpty() && !value.equals("NaN");
  }

  /** Prometheus's active targets as read once: those not scraped up since an instant, and the newest scrape. */
  record Scrapes(JsonNode targets, List<String> pending, List<String> jobs, Instant newest) {
    static Scrapes since(Instant after) throws Exception {
      JsonNode targets = get(prometheus + "/api/v1/targets?state=active").path("data").path("activeTargets");
      List<String> pending = new ArrayList<>();
      Instant newest = after;
      for (JsonNode target : targets) {
        Instant scraped = OffsetDateTime.parse(target.path("lastScrape").asText()).toInstant();
        if (!scraped.isAfter(after) || !"up".equals(target.path("health").asText())) {
          pending.add(target.path("labels").path("job").asText() + " " + target.path("scrapeUrl").asText() + " "
              + target.path("health").asText() + " " + target.path("lastError").asText());
        }
        newest = scraped.isAfter(newest) ? scraped : newest;
      }
      List<String> jobs = new ArrayList<>();
      targets.forEach(t -> jobs.add(t.path("labels").path("job").asText()));
      return new Scrapes(targets, pending, jobs, newest);
    }

    boolean allUp() {
      return pending.isEmpty() && jobs.contains("bootfarm-coordinator") && jobs.contains("bootfarm-worker");
    }
  }

  /** Waits until Prometheus has scraped every target twice after now, all of them up. */
  static void awaitTwoScrapesFromNow() throws Exception {
    Instant after = Instant.now();
    for (int round = 0; round < 2; round++) {
      Instant since = after;
      Scrapes scrapes = Eventually.value(Duration.ofSeconds(60), Duration.ofMillis(200), () -> Scrapes.since(since),
          Scrapes::allUp);
      if (!scrapes.allUp()) {
        fail("Prometheus did not scrape every target up within 60 s: " + scrapes.pending() + " of " + scrapes.targets());
      }
      after = scrapes.newest();
    }
  }

  // --- dashboards

  static List<Path> dashboardFiles() throws IOException {
    return Files.isDirectory(MonitoringFiles.grafanaDir().resolve("dashboards")) ? MonitoringFiles.dashboards()
        : List.of();
  }

  // --- processes

  /** What a finished command printed, its exit code and how long it took. */
  record Shell(int exitCode, String stdout, String stderr, long millis) {
    @Override
    public String toString() {
      return "exit " + exitCode + " after " + millis + " ms\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  static Shell run(List<String> command, Map<String, String> env, Path cwd) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(env);
    long t0 = System.nanoTime();
    Process process = builder.start();
    if (!process.waitFor(30, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail(command + " did not finish within 30 minutes");
    }
    return new Shell(process.exitValue(), Files.readString(out), Files.readString(err),
        (System.nanoTime() - t0) / 1_000_000);
  }

  /** {@code deploy/local-cluster.sh ARGS}, its bootfarm processes run from this test's class path. */
  static Shell script(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    return run(command, Map.of("BOOTFARM_LAUNCHER", launcher().toString(), "BOOTFARM_WORKER_FLAGS",
        "--package-managers tdnf", "SCRAPE_INTERVAL", "1s"), checkout);
  }

  /** {@code bootfarm ARGS --farm BRIDGE --token TOKEN} in its own JVM, as an operator would run it. */
  static Shell cli(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(launcher().toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("--farm", bridge, "--token", TOKEN));
    return run(command, Map.of(), dir);
  }

  /** A launcher script that runs {@code bootfarm} from this test's class path (the jar need not be built). */
  static synchronized Path launcher() throws IOException {
    Path launcher = dir.resolve("bootfarm-from-classpath");
    if (Files.notExists(launcher)) {
      List<String> javaArgs = new ArrayList<>(ChildJvm.options());
      javaArgs.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
          "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", "\"" + System.getProperty("java.class.path") + "\"", ""));
      Path argFile = Files.writeString(dir.resolve("java-args"), String.join("\n", javaArgs));
      Files.writeString(launcher, "#!/bin/sh\nexec '" + ChildJvm.java() + "' @'" + argFile + "' "
          + Main.class.getName() + " \"$@\"\n");
      Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return launcher;
  }

  static void assertBuild(String state, Shell submitted) throws Exception {
    JsonNode build;
    try {
      build = JSON.readTree(submitted.stdout);
    } catch (IOException e) {
      throw new AssertionError("submit --json printed no build: " + submitted, e);
    }
    assertEquals(state, build.path("state").asText(), () -> build.path("repo").asText() + ": " + submitted);
  }

  static JsonNode get(String url) throws Exception {
    // the coordinator's API needs the token; /metrics and Prometheus ignore it
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), () -> "GET " + url + ": " + response.body());
    return JSON.readTree(response.body());
  }

  static String logsOrNote() {
    try {
      return logs();
    } catch (IOException e) {
      return "the logs in " + state + " are unreadable: " + e;
    }
  }

  static String logs() throws IOException {
    StringBuilder text = new StringBuilder();
    try (Stream<Path> files = Files.list(state)) {
      for (Path log : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log);
        text.append("\n--- ").append(log).append(" (last 30 lines)\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
      }
    }
    return text.toString();
  }

  /** The fixture tdnf definition under another name, with lines appended to its base.sh. */
  static void writeTdnfDefinitionAs(String name, String appendToBaseSh) throws Exception {
    Path scratch = Files.createDirectories(dir.resolve("scratch").resolve(name));
    Path target = Files.move(FixtureDefinitions.write(scratch, FixtureDefinitions.TDNF, repo), repos.resolve(name));
    Path spec = target.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace("\"name\": \"" + FixtureDefinitions.TDNF + "\"",
        "\"name\": \"" + name + "\""));
    if (!appendToBaseSh.isEmpty()) {
      Files.writeString(target.resolve("base.sh"), appendToBaseSh, StandardOpenOption.APPEND);
    }
  }
}
