package org.bootfarm.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MessageMacs;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.bootfarm.cluster.identity.SessionKeyClaim;
import org.bootfarm.testkit.PostgresServer;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.Gate;
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
 * A process that joins the farm's Hazelcast cluster with the right cluster name but no farm
 * certificate (issue 13, ADR 0031), against a real farm of separate JVMs (coordinators and a worker
 * with certificates from one farm CA): it sends a forged SUCCEEDED report for a running build,
 * publishes heartbeats as a new worker and as the real one, joins as a coordinator before the active one is
 * killed, and sends the worker an assignment whose repo is a path. Each is refused or ignored, logged and
 * counted in {@code bootfarm_cluster_refused_total}; the real build ends SUCCEEDED with its real hashes, and
 * the standby (both coordinators share one PostgreSQL store, ADR 0039) takes over, not the stranger. A
 * member with a worker certificate of the farm's CA tries the same report and assignment with its session
 * MACs (ADR 0050): as itself, in the real worker's session, and with its MAC stripped; and, a legitimate
 * session holder, with its own correctly MACed messages sent again, re-addressed, sent too late or with a too old
 * sequence number, and with a MAC meant for the standby coordinator; each is refused too, counted once, and leaves
 * the build as it was. The failover comes last: it kills the first coordinator.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CertificatelessMemberProcessesTest {
  static final String HELD = "fixture-held";
  static final String WORKER = "w-real";
  static final Gate GATE = new Gate("certificateless");
  static final String FORGED_SHA = "f".repeat(64);
  static final String UNAUTHENTICATED = "bootfarm_cluster_refused_total{reason=\"unauthenticated_message\"}";

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static int workerMetricsPort;
  static final List<ClusterNode> rogues = new ArrayList<>();
  static PostgresServer postgres;
  /** An address no member consumes. */
  static final String NOWHERE = "bootfarm.v1.nowhere";
  /** Coordinator-a's session key (ADR 0050), as the insider of the first test read it from its member claim. */
  static String coordinatorKey;
  static String store;

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, HELD, "");
    FixtureBuilds.gateInStaging(repos.resolve(HELD), GATE);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    postgres = PostgresServer.start();
    store = postgres.storeUrl(postgres.createDatabase());
    farm.startCoordinator("coordinator-a", dir.resolve("coordinator-a"), repos, keys, List.of("--store", store));
    workerMetricsPort = FreePorts.one();
    farm.startWorker(WORKER, List.of("--worker-id", WORKER, "--slots", "1", "--metrics-port",
        String.valueOf(workerMetricsPort)));
    farm.awaitLine(WORKER, " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() throws Exception {
    rogues.forEach(ClusterNode::close);
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

  /** A member that knows only the cluster name (no farm certificate), joined from this JVM. */
  static ClusterNode rogue(NodeRole role, String name) throws Exception {
    ClusterNode node = ClusterNode.start(ClusterSettings.of(role, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + farm.clusterPort, dir.resolve("rogue-" + name)).withClusterName(farm.cluster));
    rogues.add(node);
    return node;
  }

  /**
   * A member with a worker certificate of this farm's CA (an insider, or a stolen worker key), joined from
   * this JVM; {@code tamper} rewrites the headers of what it sends after its node has tagged them.
   */
  static ClusterNode insider(String name, AtomicReference<Consumer<MultiMap>> tamper) throws Exception {
    MemberCredential credential = SharedFarmCa.member(dir, name, NodeRole.WORKER);
    ClusterNode node = ClusterNode.start(ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + farm.clusterPort, dir.resolve("insider-" + name)).withClusterName(farm.cluster)
        .withCredential(credential));
    node.vertx().eventBus().addOutboundInterceptor((DeliveryContext<Object> context) -> {
      tamper.get().accept(context.message().headers());
      context.next();
    });
    return node;
  }

  @Test
  @Order(1)
  void aForgedSucceededReportForARunningBuildIsRefusedAndTheRealOneCounts() throws Exception {
    String id = farm.submit(HELD, Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n")));
    Path bundle = GATE.awaitReached(dir, Duration.ofMinutes(3));
    JsonNode running = farm.get("/api/v1/builds/" + id);
    assertEquals("RUNNING", running.get("state").asText(), running::toString);
    int attempt = running.get("attempts").asInt(1);

    ClusterNode rogue = rogue(NodeRole.WORKER, "reporter");
    BuildReport forged = new BuildReport(id, WORKER, attempt, BuildState.SUCCEEDED,
        List.of(new ArtifactRecord("bootstrap.iso", FORGED_SHA, 1)), List.of(), null, null, false, "forged");
    for (int a = 1; a <= Math.max(attempt, 1); a++) {
      BuildReport each = new BuildReport(id, WORKER, a, BuildState.SUCCEEDED, forged.artifacts(), List.of(), null,
          null, false, "forged");
      assertThrows(RuntimeException.class, () -> rogue.vertx().eventBus().request(Addresses.REPORT,
          new JsonObject(WireJson.write(each)), new DeliveryOptions().setSendTimeout(5_000)).await(),
          "a member without a farm certificate reaches no coordinator's event bus");
    }
    assertEquals("RUNNING", farm.get("/api/v1/builds/" + id).get("state").asText(), "the forgery changed nothing");
    awaitMetric("coordinator", coordinatorMetrics(), "bootfarm_cluster_refused_total{reason=\"unverified_member\"}");

    // a worker of this farm's CA reports in the real worker's name (ADR 0050): tagged in its own session it
    // is not w-real; naming w-real's session its tags do not verify; with its MAC stripped it is unsigned
    AtomicReference<Consumer<MultiMap>> tamper = new AtomicReference<>(h -> { });
    try (ClusterNode insider = insider("w-insider", tamper)) {
      String realSession = insider.hazelcast().getCluster().getMembers().stream()
          .filter(m -> !m.localMember() && m.isLiteMember())
          .flatMap(m -> SessionKeyClaim.publicKey(m.getAttribute(SessionKeyClaim.ATTRIBUTE)).stream())
          .findFirst().orElseThrow();
      List<Consumer<MultiMap>> attacks = List.of(h -> { },
          h -> h.set(MessageMacs.SESSION, realSession),
          h -> List.of(MessageMacs.MAC, MessageMacs.SESSION, MessageMacs.SEQUENCE).forEach(h::remove));
      for (Consumer<MultiMap> attack : attacks) {
        tamper.set(attack);
        RuntimeException refused = assertThrows(RuntimeException.class, () -> insider.vertx().eventBus()
            .request(Addresses.REPORT, new JsonObject(WireJson.write(forged)), new DeliveryOptions()
                .setSendTimeout(10_000)).await());
        assertTrue(refused instanceof ReplyException reply && reply.failureCode() == 403, refused::toString);
      }
      ownSessionAttacks(insider, tamper, id, attempt);
    }
    assertEquals("RUNNING", farm.get("/api/v1/builds/" + id).get("state").asText(), "the insider changed nothing");
    String coordinatorLog = farm.logText("coordinator-a");
    assertTrue(coordinatorLog.contains("came from worker 'w-insider', who may not send it"), coordinatorLog);
    assertTrue(coordinatorLog.contains("its MAC does not verify"), coordinatorLog);
    assertTrue(coordinatorLog.contains("its signature does not verify (unsigned"), coordinatorLog);
    awaitMetric("coordinator", coordinatorMetrics(),
        "bootfarm_cluster_refused_total{reason=\"unauthenticated_message\"}");
    assertTrue(farm.logText("coordinator-a").contains("refused (unverified_member)"), farm.logText("coordinator-a"));

    GATE.open(bundle);
    JsonNode done = farm.awaitBuild(id, FarmProcesses::finished);
    assertEquals("SUCCEEDED", done.get("state").asText(), done::toString);
    assertFalse(done.get("artifacts").isEmpty(), done::toString);
    for (JsonNode artifact : done.get("artifacts")) {
      String sha = artifact.get("sha256").asText();
      assertNotEquals(FORGED_SHA, sha);
      assertEquals(sha, Sha256.of(farm.download(sha)), "the recorded hash is the real bytes' hash");
    }
  }

  /**
   * The insider, itself a legitimate session holder, attacks with its own correctly MACed messages (ADR 0050; in
   * one JVM, SessionMacClusterTest): its genuine FAILED report of the held build, which passes the MAC check and
   * which the lease refuses (w-insider holds no run), sent again with the same sequence number; a genuine message
   * to an address no one consumes, re-addressed to the report address; a report validly tagged with a send time
   * 11 minutes old; after a valid tag for a number far ahead, its next number, too old to tell. Each is refused
   * with 403 before any lease is read, counted once, logged with its reason, and the build is what it was.
   */
  private static void ownSessionAttacks(ClusterNode insider, AtomicReference<Consumer<MultiMap>> tamper, String id,
      int attempt) throws Exception {
    coordinatorKey = insider.hazelcast().getCluster().getMembers().stream().filter(m -> !m.isLiteMember())
        .flatMap(m -> SessionKeyClaim.publicKey(m.getAttribute(SessionKeyClaim.ATTRIBUTE)).stream())
        .findFirst().orElseThrow();
    JsonNode before = farm.get("/api/v1/builds/" + id);
    double refusedBefore = metricValue(coordinatorMetrics().get(), UNAUTHENTICATED);
    int unverifiedBefore = occurrences(farm.logText("coordinator-a"), "its MAC does not verify");
    JsonObject own = new JsonObject(WireJson.write(new BuildReport(id, "w-insider", attempt, BuildState.FAILED,
        List.of(), List.of(), "insider", "TRANSIENT", false, "insider")));
    AtomicReference<MultiMap> captured = new AtomicReference<>();
    Consumer<MultiMap> keep = h -> captured.set(MultiMap.caseInsensitiveMultiMap().addAll(h));

    tamper.set(keep);
    JsonObject genuine = insider.vertx().eventBus().<JsonObject>request(Addresses.REPORT, own).await().body();
    assertEquals(false, genuine.getBoolean("recorded"), "the MAC passes, the lease refuses: " + genuine);
    MultiMap report = captured.get();
    tamper.set(h -> replace(h, report));
    assertRefusedWith403(insider, Addresses.REPORT, own);
    assertLogged("replayed: sequence " + report.get(MessageMacs.SEQUENCE) + " of its session was accepted already");

    // tagged for the coordinator but sent where no one listens, so its number is fresh there: only the address differs
    tamper.set(keep);
    assertThrows(ReplyException.class, () -> insider.vertx().eventBus().request(NOWHERE, own).await());
    MultiMap elsewhere = captured.get();
    tamper.set(h -> replace(h, elsewhere));
    assertRefusedWith403(insider, Addresses.REPORT, own);
    assertEquals(unverifiedBefore + 1, occurrences(farm.logText("coordinator-a"), "its MAC does not verify"),
        "the tag covered the address it was made for");

    tamper.set(h -> {
      h.set(MessageSignatures.SENT, Long.toString(System.currentTimeMillis() - Duration.ofMinutes(11).toMillis()));
      retag(h, insider, coordinatorKey, coordinatorKey, Addresses.REPORT, own);
    });
    assertRefusedWith403(insider, Addresses.REPORT, own);
    assertLogged("more than 10 minutes (stale");

    tamper.set(h -> {
      h.set(MessageMacs.SEQUENCE, "1000000");
      retag(h, insider, coordinatorKey, coordinatorKey, Addresses.REPORT, own);
    });
    JsonObject ahead = insider.vertx().eventBus().<JsonObject>request(Addresses.REPORT, own).await().body();
    assertEquals(false, ahead.getBoolean("recorded"), "a valid tag for a number far ahead passes: " + ahead);
    tamper.set(h -> { });
    assertRefusedWith403(insider, Addresses.REPORT, own);
    assertLogged("more than 32768 behind the newest (1000000) of its session");

    awaitMetricAtLeast(UNAUTHENTICATED, refusedBefore + 4);
    assertEquals(refusedBefore + 4, metricValue(coordinatorMetrics().get(), UNAUTHENTICATED), "each counted once");
    assertEquals(before, farm.get("/api/v1/builds/" + id), "the build is what it was");
  }

  /**
   * Replaces the tags in {@code headers} by one: the insider's valid MAC of what they now say for the coordinator
   * of session key {@code tagFor}, labelled as meant for the coordinator of {@code labelledFor}.
   */
  private static void retag(MultiMap headers, ClusterNode insider, String tagFor, String labelledFor,
      String address, Object body) {
    MemberCredential own = insider.settings().credential();
    byte[] key = MessageMacs.messageKey(own.agree(Base64.getDecoder().decode(tagFor)), farm.cluster,
        own.sessionPublicKey(), tagFor);
    headers.set(MessageMacs.MAC, MessageMacs.keyId(labelledFor) + "=" + MessageMacs.tag(key,
        headers.get(MessageMacs.SEQUENCE), own.sessionPublicKey(), MessageMacs.keyId(tagFor),
        MessageSignatures.signed(address, headers.get(MessageSignatures.SENT), headers, body)));
  }

  /**
   * A member with a worker certificate sends the active coordinator a report with a valid MAC meant for the
   * standby (ADR 0050's keys are per sender and coordinator): as the standby's, and under the active one's key id.
   * Each is refused with 403, counted, logged with its reason; the build is what it was.
   */
  private static void tagsForTheStandbyDoNotReachTheActiveOne(String id) throws Exception {
    JsonNode before = farm.get("/api/v1/builds/" + id);
    double refusedBefore = metricValue(coordinatorMetrics().get(), UNAUTHENTICATED);
    int unverifiedBefore = occurrences(farm.logText("coordinator-a"), "its MAC does not verify");
    AtomicReference<Consumer<MultiMap>> tamper = new AtomicReference<>(h -> { });
    try (ClusterNode insider = insider("w-insider-3", tamper)) {
      String standbyKey = insider.hazelcast().getCluster().getMembers().stream().filter(m -> !m.isLiteMember())
          .flatMap(m -> SessionKeyClaim.publicKey(m.getAttribute(SessionKeyClaim.ATTRIBUTE)).stream())
          .filter(key -> !key.equals(coordinatorKey)).findFirst().orElseThrow();
      JsonObject own = new JsonObject(WireJson.write(new BuildReport(id, "w-insider-3", 1, BuildState.FAILED,
          List.of(), List.of(), "insider", "TRANSIENT", false, "insider")));
      tamper.set(h -> retag(h, insider, standbyKey, standbyKey, Addresses.REPORT, own));
      assertRefusedWith403(insider, Addresses.REPORT, own);
      assertLogged("no MAC for this coordinator (meant for another)");
      tamper.set(h -> retag(h, insider, standbyKey, coordinatorKey, Addresses.REPORT, own));
      assertRefusedWith403(insider, Addresses.REPORT, own);
      assertEquals(unverifiedBefore + 1, occurrences(farm.logText("coordinator-a"), "its MAC does not verify"),
          "the standby's tag is no tag of the active coordinator's");
    }
    awaitMetricAtLeast(UNAUTHENTICATED, refusedBefore + 2);
    assertEquals(refusedBefore + 2, metricValue(coordinatorMetrics().get(), UNAUTHENTICATED), "each counted once");
    assertEquals(before, farm.get("/api/v1/builds/" + id), "the build is what it was");
  }

  private static void replace(MultiMap headers, MultiMap with) {
    headers.clear();
    headers.addAll(with);
  }

  private static void assertRefusedWith403(ClusterNode from, String address, JsonObject body) {
    RuntimeException refused = assertThrows(RuntimeException.class, () -> from.vertx().eventBus()
        .request(address, body, new DeliveryOptions().setSendTimeout(10_000)).await());
    assertTrue(refused instanceof ReplyException reply && reply.failureCode() == 403, refused::toString);
  }

  /** The coordinator logged a refusal of a report on the report address for {@code reason}. */
  private static void assertLogged(String reason) throws Exception {
    String log = farm.logText("coordinator-a");
    assertTrue(log.lines().anyMatch(l -> l.contains("on " + Addresses.REPORT + " has no farm member's valid")
        && l.contains(reason)), "no refusal for '" + reason + "' in:\n" + log);
  }

  private static int occurrences(String text, String part) {
    return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
  }

  @Test
  @Order(2)
  void heartbeatsAsANewWorkerAndAsTheRealOneChangeNothing() throws Exception {
    JsonNode before = farm.get("/api/v1/workers").get("workers");
    assertEquals(1, before.size(), before::toString);
    ClusterNode rogue = rogue(NodeRole.WORKER, "heartbeats");
    Instant until = Instant.now().plusSeconds(5);
    while (Instant.now().isBefore(until)) {
      for (String id : List.of("w-phantom", WORKER)) {
        WorkerInfo fake = new WorkerInfo(id, rogue.nodeId(), "9.9", "x86_64", List.of("dnf", "apt"), 64, 0,
            1L << 50, List.of(), System.currentTimeMillis(), List.of());
        rogue.vertx().eventBus().publish(Addresses.WORKER_HEARTBEAT, new JsonObject(WireJson.write(fake)));
      }
      Thread.sleep(200); // the attack's own rhythm: five heartbeats a second for 5 s, as a busy worker might
    }
    JsonNode after = farm.get("/api/v1/workers").get("workers");
    assertEquals(1, after.size(), "no phantom worker: " + after);
    assertEquals(WORKER, after.get(0).get("id").asText(), after::toString);
    assertEquals(1, after.get(0).get("slots").asInt(), "the real worker's heartbeat is its own: " + after);
    assertNotEquals("9.9", after.get(0).get("version").asText(), after::toString);
    awaitMetric("coordinator", coordinatorMetrics(), "bootfarm_cluster_refused_total{reason=\"unverified_member\"}");
  }

  @Test
  @Order(3)
  void anAssignmentWhoseRepoIsAPathNeverReachesTheWorker() throws Exception {
    JsonNode buildsBefore = farm.get("/api/v1/builds");
    ClusterNode rogue = rogue(NodeRole.COORDINATOR, "assigner");
    Assignment forged = new Assignment("01ROGUE0000000000000000009", "../../x", "bootstrap",
        Map.of("tether", Sha256.of("t".getBytes())), Map.of("repo-spec.json", "e30="), "0".repeat(64), farm.api, 0);
    for (int i = 0; i < 3; i++) {
      rogue.vertx().eventBus().send(Addresses.workerInbox(WORKER), new JsonObject(WireJson.write(forged)));
    }
    awaitMetric(WORKER, () -> scrape(workerMetricsPort), "bootfarm_cluster_refused_total{reason=\"unverified_member\"}");
    // nothing arrives: the worker's log stays without the forged build id for 3 s after the stranger was seen
    await("the worker never sees the stranger's assignment").during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10)).pollInterval(Eventually.EVERY)
        .until(() -> !farm.logText(WORKER).contains("01ROGUE0000000000000000009"));
    String log = farm.logText(WORKER);
    assertFalse(log.contains("01ROGUE0000000000000000009"), "the worker never saw the assignment:\n" + log);
    assertTrue(log.contains("refused (unverified_member)"), log);
    try (Stream<Path> all = Files.walk(dir)) {
      assertEquals(List.of(), all.filter(p -> p.getFileName().toString().equals("x")).toList());
    }
    assertEquals(buildsBefore, farm.get("/api/v1/builds"), "no build recorded or changed");

    // a worker of this farm's CA writes the assignment: its MAC, in a worker's session, makes no one a coordinator
    try (ClusterNode insider = insider("w-insider-2", new AtomicReference<>(h -> { }))) {
      insider.vertx().eventBus().send(Addresses.workerInbox(WORKER), new JsonObject(WireJson.write(forged)));
      awaitMetric(WORKER, () -> scrape(workerMetricsPort),
          "bootfarm_cluster_refused_total{reason=\"unauthenticated_message\"}");
    }
    log = farm.logText(WORKER);
    assertFalse(log.contains("01ROGUE0000000000000000009"), "the worker never ran the assignment:\n" + log);
    assertTrue(log.contains("its session is no live coordinator's"), log);
    assertEquals(buildsBefore, farm.get("/api/v1/builds"), "no build recorded or changed");
  }

  @Test
  @Order(4)
  void aStrangerAsCoordinatorDoesNotBecomeActiveWhenTheActiveOneDies() throws Exception {
    // the stranger joins as a coordinator (a data member) BEFORE the real standby: were it counted, it
    // would be the oldest coordinator left once the active one dies; the shared store's term decides anyway
    rogue(NodeRole.COORDINATOR, "coordinator");
    int standbyHttp = FreePorts.one();
    farm.start("coordinator-b", List.of("coordinator", "--bridge-port", "0", "--data-dir",
        dir.resolve("coordinator-b").toString(), "--repos", dir.resolve("repos").toString(), "--keys",
        dir.resolve("keys").toString(), "--http-port", String.valueOf(standbyHttp), "--cluster-name", farm.cluster,
        "--cluster-port", String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + farm.clusterPort,
        "--store", store));
    farm.awaitLine("coordinator-b", "is a standby", 90);

    JsonNode real = farm.get("/api/v1/builds").get("builds").get(0);
    String realId = real.get("id").asText();
    tagsForTheStandbyDoNotReachTheActiveOne(realId);
    farm.kill("coordinator-a");
    farm.awaitLine("coordinator-b", "is now active", 60);
    String standbyApi = "http://127.0.0.1:" + standbyHttp;
    JsonNode adopted = farm.get(standbyApi, "/api/v1/builds/" + realId);
    assertEquals(real.get("artifacts"), adopted.get("artifacts"), "the real record, from the shared store");
    String log = farm.logText("coordinator-b");
    assertTrue(log.contains("refused (unverified_member)"), log);
    assertEquals(WORKER, farm.get(standbyApi, "/api/v1/workers").get("workers").get(0).get("id").asText(),
        "the standby leads the real worker, not the stranger");
  }

  private static FarmProcesses.Scrape coordinatorMetrics() {
    return () -> FarmProcesses.HTTP.send(farm.request("/metrics").GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String scrape(int port) throws Exception {
    return FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET()
        .build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static void awaitMetricAtLeast(String series, double least) throws Exception {
    boolean counted = Eventually.holds(Duration.ofSeconds(30), Eventually.EVERY,
        () -> metricAtLeast(coordinatorMetrics().get(), series, least));
    assertTrue(counted, "coordinator never counted " + least + " of " + series + ":\n" + coordinatorMetrics().get());
  }

  /** The value of {@code series} in a Prometheus scrape; 0 before it was first counted. */
  static double metricValue(String metrics, String series) {
    return metrics.lines().filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).strip())).findFirst().orElse(0);
  }

  private static void awaitMetric(String who, FarmProcesses.Scrape scrape, String series) throws Exception {
    boolean counted = Eventually.holds(Duration.ofSeconds(30), Eventually.EVERY,
        () -> metricAtLeast(scrape.get(), series, 1));
    assertTrue(counted, who + " never counted " + series + ":\n" + scrape.get());
  }

  static boolean metricAtLeast(String metrics, String series, double least) {
    return metrics.lines().filter(l -> l.startsWith(series + " "))
        .anyMatch(l -> Double.parseDouble(l.substring(series.length() + 1).strip()) >= least);
  }
}
