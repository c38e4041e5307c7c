package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.transfer.TlsTrust;
import org.bootfarm.testkit.ChildJvm;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;

/**
 * Farm processes for tests: {@code bootfarm coordinator} and {@code bootfarm worker} started as
 * separate JVMs on 127.0.0.1 from this test's class path, each logging to {@code <dir>/<name>.log},
 * and the coordinator's HTTP API driven with plain requests. {@link #close} kills whatever is left.
 *
 * <p>Authentication is on, as in production: the farm has one tokens file ({@link #tokensFile}, made as a
 * coordinator makes its default one, with a {@code local} admin and a {@code workers} client) that every
 * coordinator started here is given with {@code --tokens} unless the test gives its own (then the farm's
 * {@code workers} line and its admin, as {@code farm-processes}, are added to that file), and every worker gets
 * the {@code workers} token with {@code --token-file}. Requests built with {@link #request} carry the admin
 * token.
 *
 * <p>A farm made with {@link #https} serves its API over HTTPS: every coordinator started here gets {@code
 * --tls-cert} and {@code --tls-key}, {@link #api} says {@code https}, and the helpers' requests go through {@link
 * #http}, which trusts the test farm's CA besides the JDK's roots.
 */
final class FarmProcesses implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();
  /**
   * The {@code --steal-after} of this farm's coordinators unless a test gives its own: a build waits this long for
   * its busy home or warm worker before an idle one takes it (ADR 0046). The fixture builds take seconds, not the
   * cold cache of a real mirror the 30 s default stands for, and no test here is about how long the wait is
   * (StealingPlacementTest is): with the default, every build queued behind a busy home idled 30 s.
   * {@code -Dbootfarm.test.stealAfter=30s} gives the default back, to compare a class's time with and without.
   */
  static final String STEAL_AFTER = System.getProperty("bootfarm.test.stealAfter", "2s");

  final Path dir;
  final String cluster;
  final int clusterPort;
  final int httpPort;
  final String api;
  /** What the helpers send with: {@link #HTTP}, or for an HTTPS farm a client trusting the test farm's CA. */
  final HttpClient http;
  /** The certificate and key an HTTPS farm's coordinators serve with; null for plain HTTP. */
  private final Path tlsCert;
  private final Path tlsKey;
  /** The tokens file of this farm's coordinators. */
  final Path tokensFile;
  /** A file holding the {@code workers} token, for the workers' {@code --token-file}. */
  final Path workerTokenFile;
  private final String adminToken;
  private final List<Process> processes = new ArrayList<>();
  /** The fixture repository {@link #withFixtureRepos} started, closed with the farm; null otherwise. */
  private FixtureYumRepo fixtureRepo;
  private final java.util.Map<String, Process> byName = new java.util.concurrent.ConcurrentHashMap<>();

  /** Reads a metrics page (or any text) for an await. */
  @FunctionalInterface
  interface Scrape {
    String get() throws Exception;
  }

  FarmProcesses(Path dir) throws IOException {
    this(dir, null, null);
  }

  /**
   * A farm that builds {@code definitions} of {@link FixtureDefinitions} from a {@link FixtureYumRepo} it starts now and
   * stops with {@link #close}: their definitions in {@link #repos()}, an empty trusted-keys directory {@link #keys()}.
   */
  static FarmProcesses withFixtureRepos(Path dir, String... definitions) throws Exception {
    FarmProcesses farm = new FarmProcesses(dir);
    farm.fixtureRepo = FixtureYumRepo.start();
    for (String definition : definitions) {
      FixtureDefinitions.write(Files.createDirectories(farm.repos()), definition, farm.fixtureRepo);
    }
    Files.createDirectories(farm.keys());
    return farm;
  }

  /** {@code <dir>/repos}: the definitions of a farm made {@link #withFixtureRepos}. */
  Path repos() {
    return dir.resolve("repos");
  }

  /** {@code <dir>/keys}: the trusted-keys directory of this farm's workers. */
  Path keys() {
    return dir.resolve("keys");
  }

  /**
   * A farm whose coordinators serve HTTPS with {@code tlsCert} and {@code tlsKey} (a certificate of the test
   * farm's CA, {@link SharedFarmCa}, naming 127.0.0.1).
   */
  static FarmProcesses https(Path dir, Path tlsCert, Path tlsKey) throws IOException {
    return new FarmProcesses(dir, tlsCert, tlsKey);
  }

  private FarmProcesses(Path dir, Path tlsCert, Path tlsKey) throws IOException {
    this.dir = dir;
    this.clusterPort = FreePorts.one();
    this.httpPort = FreePorts.one();
    this.cluster = "farm-test-" + clusterPort;
    this.tlsCert = tlsCert;
    this.tlsKey = tlsKey;
    this.api = (tlsCert == null ? "http" : "https") + "://127.0.0.1:" + httpPort;
    this.http = tlsCert == null ? HTTP : HttpClient.newBuilder().sslContext(TlsTrust.withRoots(
        List.of(SharedFarmCa.of(dir).resolve(FarmCa.CA_CERT)))).build();
    this.tokensFile = DefaultTokensFile.prepare(Files.createDirectories(dir.resolve("farm-access")));
    this.adminToken = DefaultTokensFile.tokenOf(tokensFile, DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
    this.workerTokenFile = Files.writeString(dir.resolve("farm-access").resolve("worker-token"),
        workersToken() + "\n");
  }

  /** The {@code local} client's token: role admin. */
  String adminToken() {
    return adminToken;
  }

  String workersToken() throws IOException {
    return DefaultTokensFile.tokenOf(tokensFile, DefaultTokensFile.WORKERS_CLIENT).orElseThrow();
  }

  /** A request to {@code path} of this farm's API, with the admin token. */
  HttpRequest.Builder request(String path) {
    return request(api, path);
  }

  /** A request to {@code path} of the coordinator at {@code base} (another of this farm's), with the admin token. */
  HttpRequest.Builder request(String base, String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + adminToken);
  }

  /**
   * {@code args} with the farm's tokens: a coordinator (or standalone) gets {@code --tokens} (or its own file
   * gets the farm's workers line), a worker {@code --token-file}; a coordinator (or standalone) also gets {@link
   * #STEAL_AFTER} unless {@code args} say {@code --steal-after}.
   */
  private List<String> withFarmFlags(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(args);
    String command = args.isEmpty() ? "" : args.get(0);
    if ((command.equals("coordinator") || command.equals("standalone")) && tlsCert != null
        && !all.contains("--tls-cert")) {
      all.addAll(List.of("--tls-cert", tlsCert.toString(), "--tls-key", tlsKey.toString()));
    }
    if (command.equals("coordinator") || command.equals("standalone")) {
      int given = all.indexOf("--tokens");
      if (given < 0) {
        all.addAll(List.of("--tokens", tokensFile.toString()));
      } else {
        Path own = Path.of(all.get(given + 1));
        if (DefaultTokensFile.tokenOf(own, DefaultTokensFile.WORKERS_CLIENT).isEmpty()) {
          Files.writeString(own, DefaultTokensFile.WORKERS_CLIENT + " " + workersToken() + " submit\n",
              java.nio.file.StandardOpenOption.APPEND);
        }
        if (DefaultTokensFile.tokenOf(own, "farm-processes").isEmpty()) {
          Files.writeString(own, "farm-processes " + adminToken + " admin\n", java.nio.file.StandardOpenOption.APPEND);
        }
      }
    }
    if ((command.equals("coordinator") || command.equals("standalone")) && !all.contains("--steal-after")) {
      all.addAll(List.of("--steal-after", STEAL_AFTER));
    }
    if (command.equals("worker") && !all.contains("--token-file")) {
      all.addAll(List.of("--token-file", workerTokenFile.toString()));
    }
    return all;
  }

  /** Starts {@code bootfarm ARGS} in a new JVM whose output goes to {@code <dir>/<name>.log}. */
  Process start(String name, List<String> args) throws IOException {
    // SIGHUP at its default, as systemd starts a daemon: a test run under nohup would otherwise hand its
    // processes an ignored SIGHUP, which the JVM keeps ignored (a coordinator reloads its repos on SIGHUP)
    List<String> command = new ArrayList<>(List.of("env", "--default-signal=HUP"));
    command.addAll(ChildJvm.command());
    command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
        "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(withFarmFlags(args));
    Process process = SharedFarmCa.giveTo(new ProcessBuilder(command), dir).redirectErrorStream(true)
        .redirectOutput(log(name).toFile()).start();
    processes.add(process);
    byName.put(name, process);
    return process;
  }

  /** Kills the process started as {@code name} with kill -9 and waits until it is gone. */
  void kill(String name) throws InterruptedException {
    byName.get(name).destroyForcibly().waitFor();
  }



  /** Starts the coordinator on this farm's ports, with {@code name} as its log name, and waits until it is ready. */
  Process startCoordinator(String name, Path dataDir, Path repos, Path keys) throws Exception {
    return startCoordinator(name, dataDir, repos, keys, List.of());
  }

  /** {@link #startCoordinator(String, Path, Path, Path)} with {@code more} flags, e.g. {@code --store URL}. */
  Process startCoordinator(String name, Path dataDir, Path repos, Path keys, List<String> more) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("coordinator", "--bridge-port", "0", "--data-dir",
        dataDir.toString(), "--repos", repos.toString(), "--keys", keys.toString(), "--http-port",
        String.valueOf(httpPort), "--cluster-name", cluster, "--cluster-port", String.valueOf(clusterPort)));
    args.addAll(more);
    Process process = start(name, args);
    awaitLine(name, " ready: ", 90);
    return process;
  }

  /** Starts a worker joining this farm's coordinator, with its data and cache under {@code <dir>/<name>}. */
  Process startWorker(String name, List<String> extraArgs) throws IOException {
    return startWorker(name, extraArgs, true);
  }

  /**
   * {@link #startWorker(String, List)} without {@code --metrics-port}: the worker takes the first free port from
   * 9101 up, as an operator's second worker on one machine does, and names it in its ready line.
   */
  Process startWorkerOnDefaultMetricsPort(String name, List<String> extraArgs) throws IOException {
    return startWorker(name, extraArgs, false);
  }

  private Process startWorker(String name, List<String> extraArgs, boolean noMetricsPort) throws IOException {
    List<String> args = new ArrayList<>(List.of("worker", "--data-dir", dir.resolve(name).toString(), "--cache-dir",
        dir.resolve(name + "/cache").toString(), "--keys", keys().toString(), "--cluster-name", cluster,
        "--cluster-port", String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + clusterPort));
    // the process tests expect the builds they submit to run; serving an unchanged one from the action cache is
    // ActionCacheTest's and OneMachineFarmTest's to show (docs/adr/0048)
    args.add("--no-action-cache");
    if (noMetricsPort && !extraArgs.contains("--metrics-port")) {
      args.addAll(List.of("--metrics-port", "0")); // several workers on one machine: no fixed metrics port
    }
    args.addAll(extraArgs);
    return start(name, args);
  }

  Path log(String name) {
    return dir.resolve(name + ".log");
  }

  String logText(String name) throws IOException {
    return Files.exists(log(name)) ? Files.readString(log(name)) : "";
  }

  void awaitLine(String name, String text, int seconds) throws Exception {
    if (Eventually.holds(Duration.ofSeconds(seconds), Eventually.EVERY, () -> logText(name).contains(text))) {
      return;
    }
    throw new AssertionError(name + " never printed '" + text + "':\n" + logText(name));
  }

  String upload(String content) throws Exception {
    byte[] bytes = content.getBytes();
    String sha = Sha256.of(bytes);
    http.send(request("/api/v1/artifacts/" + sha)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    return sha;
  }

  JsonNode get(String path) throws Exception {
    return get(api, path);
  }

  /** {@code GET path} of the coordinator at {@code base} (another coordinator of this farm), as JSON. */
  JsonNode get(String base, String path) throws Exception {
    return JSON.readTree(http.send(request(base, path).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  byte[] download(String sha256) throws Exception {
    HttpResponse<byte[]> response = http.send(request("/api/v1/artifacts/" + sha256)
        .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode(), "GET /api/v1/artifacts/" + sha256);
    return response.body();
  }

  /** Submits a build of {@code repo} over HTTP and returns its id. */
  String submit(String repo, Map<String, String> components) throws Exception {
    HttpResponse<String> submitted = post(repo, "bootstrap", components);
    assertEquals(201, submitted.statusCode(), submitted.body());
    return JSON.readTree(submitted.body()).get("id").asText();
  }

  /** {@code POST /api/v1/builds} of {@code repo} and {@code target}: the coordinator's answer, whatever it is. */
  HttpResponse<String> post(String repo, String target, Map<String, String> components) throws Exception {
    String body = JSON.writeValueAsString(Map.of("repo", repo, "target", target, "components", components));
    return http.send(request("/api/v1/builds")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The build's record once {@code until} holds, or as it is after two minutes. An answer that is not a build
   * record (a coordinator restarted a moment ago may still be a standby forwarding to the dead one until the
   * cluster drops it) is asked again; still no record after two minutes fails with the last answer.
   */
  JsonNode awaitBuild(String id, Predicate<JsonNode> until) throws Exception {
    JsonNode build = Eventually.value(Duration.ofMinutes(2), Duration.ofMillis(50), () -> get("/api/v1/builds/" + id),
        b -> b.has("state") && until.test(b));
    JsonNode last = build;
    assertNotNull(last.get("state"), () -> "GET /api/v1/builds/" + id + " answers no build record: " + last);
    return build;
  }

  /**
   * A build's artifacts without its signed provenance, which names the build itself and its times (ADR 0044): what
   * two builds of the same inputs have in common.
   */
  static List<JsonNode> outputs(JsonNode build) {
    List<JsonNode> outputs = new java.util.ArrayList<>();
    build.get("artifacts").forEach(a -> {
      if (!a.get("name").asText().equals("provenance.intoto.jsonl")) {
        outputs.add(a);
      }
    });
    return outputs;
  }

  static boolean finished(JsonNode build) {
    assertNotNull(build.get("state"), () -> "not a build record: " + build);
    return !List.of("QUEUED", "RUNNING").contains(build.get("state").asText());
  }

  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
    if (fixtureRepo != null) {
      fixtureRepo.close();
    }
  }

  /** Closes each of {@code things} a test made (null: it never got that far), in order: members, the farm, fixtures. */
  static void closeAll(AutoCloseable... things) throws Exception {
    for (AutoCloseable thing : things) {
      if (thing != null) {
        thing.close();
      }
    }
  }
}
