package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.cli.chaos.Network;
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
 * Shows that a partition cannot make two writers of the shared store (issue 15, docs/adr/0039): the active
 * coordinator runs in a network namespace of its own, and its cluster and event-bus ports are blocked there while
 * builds run, its PostgreSQL session left alive. Sampled every 200 ms from the outside (each coordinator's {@code
 * /metrics} and the store's term row), at no moment are two coordinators active, the standby never places a build
 * or records a report, and the store refuses a write that does not carry the current term's epoch. Once the cut
 * heals, every accepted build is SUCCEEDED, its success recorded exactly once.
 */
@Tag("process")
class CoordinatorPartitionTest {
  static final int BUILDS = 3;
  /** How long the cut lasts once it split the cluster. */
  static final Duration AFTER_SPLIT = Duration.ofSeconds(3);
  static final Pattern ACTIVE = Pattern.compile("(?m)^bootfarm_coordinator_active\\S* (\\S+)$");
  static final Pattern STARTED = Pattern.compile("(?m)^bootfarm_builds_started_total\\S* (\\S+)$");
  static final Pattern FINISHED = Pattern.compile("(?m)^bootfarm_builds_finished_total\\S* (\\S+)$");
  static final Pattern LIVE = Pattern.compile("(?m)^bootfarm_workers_live\\S* (\\S+)$");

  @TempDir static Path dir;
  static String ns;
  static String veth;
  static String host;
  static String inside;
  static PostgresServer postgres;
  static FailoverFarm farm;
  static FixtureYumRepo repo;

  /** One sample: per coordinator whether it says it is active and its placements and final states so far. */
  record Sample(long atMillis, long epoch, String holder, List<Double> active, List<Double> started,
      List<Double> finished, List<Double> live) {
    /** What it says, without the time: a change from one sample to the next is a line of the timeline. */
    String state() {
      return "term " + epoch + " active " + active + " started " + started + " finished " + finished
          + " workers live " + live;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    long pid = ProcessHandle.current().pid();
    ns = "bfpart" + pid;
    veth = "bfp" + pid;
    String net = Network.freeNet();
    host = net + ".254";
    inside = net + ".1";
    Network.namespace(ns, veth, host, inside);
    postgres = PostgresServer.startAlsoOn(host);
    farm = new FailoverFarm(dir);
    repo = FixtureYumRepo.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (farm != null) {
      farm.close();
      // the processes' logs outlive the temporary directory, for reading a failure
      Path kept = Files.createDirectories(Path.of("target", "partition-logs"));
      try (var logs = Files.newDirectoryStream(dir, "*.log")) {
        for (Path log : logs) {
          Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    if (ns != null) {
      Network.unblockClusterPorts(ns);
      Network.remove(ns, veth);
    }
    if (repo != null) {
      repo.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void aCoordinatorCutOffFromTheClusterKeepsTheOnlyTermAndEveryBuildSucceedsOnce() throws Exception {
    String database = postgres.createDatabase();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    int[] cluster = {FreePorts.one(), FreePorts.one(), FreePorts.one()}; // c0 (active), c1, the worker
    int[] bus = {FreePorts.one(), FreePorts.one(), FreePorts.one()};
    int[] http = {FreePorts.one(), FreePorts.one()};
    String name = "partition-" + cluster[0];
    String join = inside + ":" + cluster[0] + "," + host + ":" + cluster[1];
    String[] address = {inside, host};
    String[] api = {"http://" + inside + ":" + http[0], "http://127.0.0.1:" + http[1]};
    for (int n = 0; n < 2; n++) {
      List<String> args = List.of("coordinator", "--bridge-port", "0", "--data-dir", dir.resolve("c" + n).toString(),
          "--repos", repos.toString(), "--keys", keys.toString(), "--http-host", n == 0 ? inside : "127.0.0.1",
          "--http-port", String.valueOf(http[n]), "--cluster-name", name, "--cluster-host", address[n],
          "--cluster-port", String.valueOf(cluster[n]), "--event-bus-port", String.valueOf(bus[n]), "--join", join,
          "--store", postgres.storeUrl(database, host));
      // the first coordinator, active, runs in the namespace; it reaches PostgreSQL through the veth
      farm.start(n == 0 ? Network.inNamespace(ns) : List.of(), "c" + n, args);
      if (n == 0) {
        farm.awaitLine("c0", "is now active", 180);
      }
    }
    String term = farm.awaitLine("c0", "holds term", 5);
    farm.start("worker", List.of("worker", "--data-dir", dir.resolve("w").toString(), "--cache-dir",
        dir.resolve("w/cache").toString(), "--keys", keys.toString(), "--cluster-name", name, "--cluster-host", host,
        "--cluster-port", String.valueOf(cluster[2]), "--event-bus-port", String.valueOf(bus[2]), "--slots", "2",
        "--metrics-port", "0", "--no-action-cache", "--join", join)); // every build runs (no ADR 0048 hit)
    farm.awaitLine("c1", "is a standby", 180);
    farm.awaitLine("worker", " ready: ", 180);

    Map<String, String> components = Map.of("tether", farm.upload(api[0], "tether\n"),
        "unpack", farm.upload(api[0], "unpack\n"));
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < BUILDS; i++) {
      accepted.add(farm.submit(api[0], components));
    }
    // cut once a run began on the worker, not while its assignment is still on the way
    farm.awaitLine("worker", "run 1 started", 90);

    List<Sample> samples = new CopyOnWriteArrayList<>();
    List<String> sampleErrors = new CopyOnWriteArrayList<>();
    Thread sampler = new Thread(() -> sample(database, api, samples, sampleErrors), "partition-sampler");
    sampler.start();
    // a few samples of the farm before the cut: the baseline every later sample is compared with
    assertTrue(Eventually.holds(Duration.ofSeconds(30), Duration.ofMillis(100), () -> samples.size() >= 5),
        "no samples before the cut: " + sampleErrors);
    List<Integer> ports = List.of(cluster[0], cluster[1], cluster[2], bus[0], bus[1], bus[2]);
    Network.blockPorts(ns, ports);
    long cutAt = System.currentTimeMillis();
    // the cut is real once the active coordinator saw the worker leave (Hazelcast: 5 s without heartbeats)
    assertTrue(Eventually.holds(Duration.ofSeconds(60), Duration.ofMillis(100), () -> samples.stream().anyMatch(
        s -> s.atMillis() > cutAt && Double.valueOf(0.0).equals(s.live().get(0)))),
        "the coordinator cut off still counts the worker live: " + samples);
    String fenced = staleWriteRefusal(database, accepted.get(0));
    Thread.sleep(AFTER_SPLIT.toMillis());
    Network.unblockClusterPorts(ns);
    long healedAt = System.currentTimeMillis();
    Map<String, String> states = new TreeMap<>();
    Map<String, Integer> lost = new TreeMap<>();
    for (String id : accepted) {
      JsonNode build = farm.awaitBuild(api[0], id, FailoverFarm::finished);
      lost.put(id, build.get("attempts").asInt());
      states.put(id, build.get("state").asText() + " after " + build.get("attempts").asText() + " lost run(s)"
          + (build.hasNonNull("error") ? ": " + build.get("error").asText() : ""));
    }
    long doneAt = System.currentTimeMillis();
    sampler.interrupt();
    sampler.join();
    String before = "";
    for (Sample s : samples) {
      if (!s.state().equals(before)) {
        System.out.printf("partition: %+6d ms from the cut: %s%n", s.atMillis() - cutAt, s.state());
        before = s.state();
      }
    }
    System.out.printf("partition: healed at %+d ms; builds %s%n", healedAt - cutAt, states);
    System.out.printf("partition: cut %d ms, every build finished %d ms after the heal, %d samples (%d errors)%n",
        healedAt - cutAt, doneAt - healedAt, samples.size(), sampleErrors.size());

    // a write without the current epoch is refused by the database itself
    assertTrue(fenced.contains("BF001"), fenced);
    // at no sample two coordinators active; the term never moved; the standby never placed nor recorded
    assertTrue(samples.stream().filter(s -> s.atMillis() > cutAt && s.atMillis() < healedAt).count() >= 5,
        "samples during the cut: " + samples.size() + " " + sampleErrors);
    long epoch = Long.parseLong(term.replaceAll(".*holds term (\\d+).*", "$1"));
    String holder = term.replaceAll(".*bootfarm coordinator (\\S+) holds term.*", "$1");
    for (Sample s : samples) {
      long actives = s.active().stream().filter(a -> a != null && a == 1.0).count();
      assertTrue(actives <= 1, "two coordinators active at " + s);
      assertEquals(epoch, s.epoch(), () -> "the term moved: " + s);
      assertEquals(holder, s.holder(), () -> "another coordinator holds the term: " + s);
      assertTrue(s.active().get(1) == null || s.active().get(1) == 0.0, () -> "the standby says it is active: " + s);
      assertTrue(s.started().get(1) == null || s.started().get(1) == 0.0, () -> "the standby placed a build: " + s);
      assertTrue(s.finished().get(1) == null || s.finished().get(1) == 0.0,
          () -> "the standby recorded a final state: " + s);
    }
    assertTrue(samples.stream().anyMatch(s -> s.atMillis() > cutAt && s.atMillis() < healedAt
        && Double.valueOf(1.0).equals(s.active().get(0))), "the cut-off coordinator was sampled during the cut");
    // every accepted build SUCCEEDED, its success recorded once
    assertEquals(BUILDS, states.size());
    states.forEach((id, state) -> assertTrue(state.startsWith("SUCCEEDED"), id + ": " + states));
    // the cut costs a build at most the run it cut off: none is placed on a worker this coordinator cannot reach
    lost.forEach((id, runs) -> assertTrue(runs <= 1, id + ": " + states));
    // the worker hears "recorded" after the store changed; a run cut off may end too, and be refused. When the
    // answer was lost in the cut, the worker learns it from a later try ("recorded (by an earlier try ...)"), and a
    // try sent just before the heal waits out its 10 s timeout (ReportSender): allow several, a loaded machine's too
    Path workerLog = dir.resolve("worker.log");
    for (String id : accepted) {
      Pattern recorded = Pattern.compile("report of build " + id + " run \\d+ recorded");
      assertTrue(Eventually.holds(Duration.ofSeconds(90), Duration.ofMillis(50),
          () -> recorded.matcher(Files.readString(workerLog)).find()), id + " recorded, by the worker's log");
    }
    String worker = Files.readString(workerLog);
    System.out.println("partition: reports refused (a run cut off that ended anyway): "
        + Pattern.compile("report of build \\S+ run \\d+ refused").matcher(worker).results().count());
    for (String id : accepted) {
      Matcher recorded = Pattern.compile("report of build " + id + " run \\d+ recorded").matcher(worker);
      int times = 0;
      while (recorded.find()) {
        times++;
      }
      assertEquals(1, times, "build " + id + " recorded once, by the worker's log:\n" + worker);
    }
    // the active coordinator counted one final state per build, the standby none
    List<String> errors = new ArrayList<>();
    assertEquals(Double.valueOf(BUILDS), value(FINISHED, metrics(api[0], errors)), errors::toString);
    Double standby = value(FINISHED, metrics(api[1], errors));
    assertTrue(standby == null || standby == 0.0, "the standby counted final states: " + standby + " " + errors);
  }

  /** Samples until interrupted, every 200 ms. */
  private static void sample(String database, String[] api, List<Sample> samples, List<String> errors) {
    try (Connection sql = postgres.connect(database)) {
      while (!Thread.currentThread().isInterrupted()) {
        long at = System.currentTimeMillis();
        List<Double> active = new ArrayList<>();
        List<Double> started = new ArrayList<>();
        List<Double> finished = new ArrayList<>();
        List<Double> live = new ArrayList<>();
        for (String coordinator : api) {
          String metrics = metrics(coordinator, errors);
          active.add(value(ACTIVE, metrics));
          started.add(value(STARTED, metrics));
          finished.add(value(FINISHED, metrics));
          live.add(value(LIVE, metrics));
        }
        try (Statement statement = sql.createStatement();
            ResultSet row = statement.executeQuery("SELECT epoch, holder FROM coordinator_term WHERE id = 1")) {
          row.next();
          samples.add(new Sample(at, row.getLong(1), row.getString(2), active, started, finished, live));
        }
        Thread.sleep(Math.max(0, 200 - (System.currentTimeMillis() - at)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      errors.add("sampling the term row: " + e);
    }
  }

  private static String metrics(String api, List<String> errors) {
    try {
      HttpResponse<String> response = FailoverFarm.HTTP.send(farm.request(api, "/metrics")
          .timeout(Duration.ofMillis(1500)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : "";
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      errors.add(api + "/metrics: " + e);
      return "";
    }
  }

  /** The sum of a metric's series, or null when the scrape did not answer or lacks it. */
  private static Double value(Pattern metric, String scrape) {
    Matcher m = metric.matcher(scrape);
    Double sum = null;
    while (m.find()) {
      sum = (sum == null ? 0 : sum) + Double.parseDouble(m.group(1));
    }
    return sum;
  }

  /**
   * Tries, as an outsider, to mark {@code build} SUCCEEDED in a session stating an ended term's epoch (0: no
   * term); returns the refusal with its SQLSTATE, or says the write went through.
   */
  private static String staleWriteRefusal(String database, String build) throws SQLException {
    try (Connection sql = postgres.connect(database)) {
      try (PreparedStatement epoch = sql.prepareStatement("SELECT set_config('bootfarm.epoch', '0', false)")) {
        epoch.execute();
      }
      try (PreparedStatement write = sql.prepareStatement("UPDATE builds SET state = 'SUCCEEDED' WHERE id = ?")) {
        write.setString(1, build);
        return "a stale write went through: " + write.executeUpdate() + " row";
      } catch (SQLException e) {
        return e.getSQLState() + " " + e.getMessage();
      }
    }
  }
}
