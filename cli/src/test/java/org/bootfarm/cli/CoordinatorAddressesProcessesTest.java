package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.client.BridgeConnection;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.PostgresServer;
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
 * A member with a worker certificate of the farm's CA (an insider, or a stolen worker key) on the coordinators'
 * own addresses (ADR 0064), against a real farm of separate JVMs: an active coordinator with its bridge, a standby
 * on the same PostgreSQL store, a worker. It asks the coordinators to copy an artifact from a listener it controls
 * (fetch, stored, hold); it answers in the coordinators' place on the API and report addresses, forging builds and
 * {@code {"recorded": true}}; it sends again, headers and all, a submission an admin made through the bridge. Each
 * is refused and logged: no request reaches the listener and no store holds its object; every client, the standby
 * and the worker get the real coordinator's answers and what they asked for happens, once.
 */
@Tag("process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CoordinatorAddressesProcessesTest {
  static final String REPO = "fixture-addresses";
  static final String FORGED = "FORGED";
  /** The active coordinator's ready line: its node id and its bridge's port. */
  static final Pattern READY = Pattern.compile("coordinator (\\S+) ready: .*bridge 127\\.0\\.0\\.1:(\\d+)");

  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static PostgresServer postgres;
  static FarmProcesses farm;
  static String standbyApi;
  static String bridge;
  /** The active coordinator's node id: the name under which it published its URL. */
  static String activeNode;
  static Map<String, String> components;
  static final List<ClusterNode> insiders = new ArrayList<>();

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, REPO, "");
    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm = new FarmProcesses(dir);
    postgres = PostgresServer.start();
    String store = postgres.storeUrl(postgres.createDatabase());
    farm.startCoordinator("coordinator-a", dir.resolve("coordinator-a"), repos, keys, List.of("--store", store));
    Matcher ready = READY.matcher(farm.logText("coordinator-a"));
    assertTrue(ready.find(), farm.logText("coordinator-a"));
    activeNode = ready.group(1);
    bridge = "127.0.0.1:" + ready.group(2);
    int standbyHttp = FreePorts.one();
    standbyApi = "http://127.0.0.1:" + standbyHttp;
    farm.start("coordinator-b", List.of("coordinator", "--bridge-port", "0", "--data-dir",
        dir.resolve("coordinator-b").toString(), "--repos", repos.toString(), "--keys", keys.toString(),
        "--http-port", String.valueOf(standbyHttp), "--cluster-name", farm.cluster, "--cluster-port",
        String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + farm.clusterPort, "--store", store));
    farm.startWorker("worker", List.of("--worker-id", "w-real", "--slots", "1"));
    farm.awaitLine("coordinator-b", "is a standby", 90);
    farm.awaitLine("worker", " ready: ", 90);
    components = Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
  }

  @AfterAll
  static void stopFarm() throws Exception {
    insiders.forEach(ClusterNode::close);
    FarmProcesses.closeAll(farm, repo, postgres);
  }

  /** A member with a worker certificate of this farm's CA, joined from this JVM. */
  static ClusterNode insider(String name) throws Exception {
    ClusterNode node = ClusterNode.start(ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + farm.clusterPort, dir.resolve("insider-" + name)).withClusterName(farm.cluster)
        .withCredential(SharedFarmCa.member(dir, name, NodeRole.WORKER)));
    insiders.add(node);
    return node;
  }

  /**
   * The insider asks the active coordinator to fetch, the standby to hold, and both (announcing it stored) to copy an
   * object from its own listener, which would serve it: naming the listener, and naming the active coordinator with
   * the listener as source. Refused (403 to the requests), logged naming it; the listener hears nothing, no
   * coordinators' token leaves, and neither coordinator's store holds the object.
   */
  @Test
  @Order(1)
  void copyRequestsOfAWorkerCertificateReachNoListenerAndCopyNothing() throws Exception {
    byte[] bait = "an object the insider serves".getBytes(StandardCharsets.UTF_8);
    String sha = Sha256.of(bait);
    List<String> heard = new CopyOnWriteArrayList<>();
    HttpServer listener = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    listener.createContext("/", exchange -> {
      heard.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " Authorization="
          + exchange.getRequestHeaders().getFirst("Authorization"));
      try (exchange) {
        exchange.sendResponseHeaders(200, bait.length);
        exchange.getResponseBody().write(bait);
      }
    });
    listener.start();
    String trap = "http://127.0.0.1:" + listener.getAddress().getPort();
    try {
      ClusterNode insider = insider("w-copier");
      for (JsonObject names : List.of(new JsonObject().put("source", trap),
          new JsonObject().put("coordinator", activeNode).put("source", trap))) {
        ReplyException fetch = assertThrows(ReplyException.class, () -> insider.vertx().eventBus().request(
            "bootfarm.v1.coordinators.artifacts.fetch", names.copy().put("sha256", sha), timeout()).await());
        assertEquals(403, fetch.failureCode(), fetch.getMessage());
        ReplyException hold = assertThrows(ReplyException.class, () -> insider.vertx().eventBus().request(
            "bootfarm.v1.coordinators.artifacts.hold", names.copy().put("sha256s", new JsonArray().add(sha)),
            timeout()).await());
        assertEquals(403, hold.failureCode(), hold.getMessage());
        insider.vertx().eventBus().publish("bootfarm.v1.coordinators.artifacts.stored",
            names.copy().put("sha256", sha));
      }
      awaitLogged("coordinator-a", "artifacts.fetch came from worker 'w-copier', who may not send it", 2);
      awaitLogged("coordinator-a", "artifacts.stored came from worker 'w-copier', who may not send it", 1);
      awaitLogged("coordinator-b", "artifacts.hold came from worker 'w-copier', who may not send it", 2);
      awaitLogged("coordinator-b", "artifacts.stored came from worker 'w-copier', who may not send it", 2);
      Thread.sleep(2000); // what a coordinator would have copied, it would have asked for by now
      assertEquals(List.of(), heard, "no request reached the listener, with or without the coordinators' token");
      for (String api : List.of(farm.api, standbyApi)) {
        HttpResponse<String> held = farm.http.send(farm.request(api, "/api/v1/artifacts/" + sha).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(404, held.statusCode(), api + " holds the insider's object");
      }
    } finally {
      listener.stop(0);
    }
  }

  /**
   * The insider registers on the report, get and pin addresses (Vert.x then hands it every other send) and answers a
   * forged SUCCEEDED build and {@code {"recorded": true}}. The worker's report of a build the insider caught still
   * reaches the coordinator (SUCCEEDED at its first run); bridge clients get the real build and their pins happen; the
   * standby's forwarded pins happen. Each forged answer is logged where it was refused, naming the insider. Registered
   * twice, it takes every send (Vert.x weighs a node by its registrations less one): then the bridge client gets a
   * clear error naming it, never its answer.
   */
  @Test
  @Order(2)
  void answersOfAMemberOnCoordinatorAddressesAreNeverTakenAndTheRealActionHappens() throws Exception {
    ClusterNode insider = insider("w-impostor");
    JsonObject forgedBuild = new JsonObject().put("id", FORGED).put("state", "SUCCEEDED");
    List<Message<Object>> caught = new CopyOnWriteArrayList<>();
    List<MessageConsumer<Object>> consumers = new ArrayList<>();
    for (String address : List.of(Addresses.REPORT, Addresses.GET, Addresses.PIN)) {
      consumers.add(impostor(insider, address, caught, forgedBuild));
    }

    // the worker's reports: Vert.x hands every other one to the insider first; builds run until it caught one, and
    // each is SUCCEEDED, recorded from its first run's report
    List<String> built = new ArrayList<>(List.of(farm.submit(REPO, components), farm.submit(REPO, components)));
    for (int i = 0; i < built.size(); i++) {
      JsonNode done = awaitFinished(built.get(i));
      assertEquals("SUCCEEDED", done.get("state").asText(), done::toString);
      assertEquals(0, done.get("attempts").asInt(), "recorded from its first run's report, no run lost: " + done);
      if (i == built.size() - 1 && caughtOn(caught, Addresses.REPORT) == 0 && built.size() < 4) {
        built.add(farm.submit(REPO, components));
      }
    }
    assertTrue(caughtOn(caught, Addresses.REPORT) > 0, "the insider caught a report");
    String id = built.get(built.size() - 1);
    assertTrue(farm.logText("worker").lines().anyMatch(l -> l.contains("refused (unauthenticated_message): the answer"
        + " to a request on " + Addresses.REPORT) && l.contains("worker 'w-impostor'")), farm.logText("worker"));

    // bridge clients: reads and pins, each answered by the active coordinator
    int caughtBefore = caughtOn(caught, Addresses.GET) + caughtOn(caught, Addresses.PIN);
    try (BridgeConnection client = BridgeConnection.open(bridge, farm.adminToken(), null, Duration.ofSeconds(30))) {
      for (int i = 0; i < 3; i++) {
        JsonNode read = client.request(Addresses.GET, Map.of("id", id));
        assertEquals(id, read.get("id").asText(), read::toString);
        JsonNode pinned = client.request(Addresses.PIN, Map.of("id", id, "reason", "kept " + i));
        assertEquals(id, pinned.get("id").asText(), pinned::toString);
        assertTrue(pinned.get("pinned").asBoolean(), pinned::toString);
        client.request(Addresses.UNPIN, Map.of("id", id));
      }
      client.request(Addresses.PIN, Map.of("id", id, "reason", "kept"));
    }
    assertTrue(caughtOn(caught, Addresses.GET) + caughtOn(caught, Addresses.PIN) > caughtBefore,
        "the insider caught bridge calls");
    assertTrue(farm.get("/api/v1/builds/" + id).get("pinned").asBoolean(), "the admin's pin reached the coordinator");
    awaitLogged("coordinator-a", "the answer to a request on " + Addresses.GET, 1);

    // the standby forwards HTTP pins to the active coordinator: each happens
    int pinsBefore = caughtOn(caught, Addresses.PIN);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> unpinned = farm.http.send(farm.request(standbyApi, "/api/v1/builds/" + id + "/pin")
          .DELETE().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, unpinned.statusCode(), unpinned.body());
      assertFalse(FarmProcesses.JSON.readTree(unpinned.body()).get("pinned").asBoolean(), unpinned.body());
      HttpResponse<String> pinned = farm.http.send(farm.request(standbyApi, "/api/v1/builds/" + id + "/pin")
          .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"reason\":\"b\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, pinned.statusCode(), pinned.body());
      assertTrue(FarmProcesses.JSON.readTree(pinned.body()).get("pinned").asBoolean(), pinned.body());
      assertNotEquals(FORGED, FarmProcesses.JSON.readTree(pinned.body()).get("id").asText());
    }
    assertTrue(caughtOn(caught, Addresses.PIN) > pinsBefore, "the insider caught forwarded pins");
    assertTrue(farm.get("/api/v1/builds/" + id).get("pinned").asBoolean());
    awaitLogged("coordinator-b", "the answer to a request on " + Addresses.PIN, 1);

    // registered twice on get, the insider takes every send: no coordinator answers, and the client is told so
    consumers.add(impostor(insider, Addresses.GET, caught, forgedBuild));
    try (BridgeConnection client = BridgeConnection.open(bridge, farm.adminToken(), null, Duration.ofSeconds(30))) {
      BridgeConnection.BridgeException refused = assertThrows(BridgeConnection.BridgeException.class,
          () -> client.request(Addresses.GET, Map.of("id", id)));
      assertEquals(502, refused.failureCode(), refused.getMessage());
      assertTrue(refused.getMessage().contains("no coordinator answered the request on " + Addresses.GET)
          && refused.getMessage().contains("worker 'w-impostor'"), refused.getMessage());
    }
    for (MessageConsumer<Object> consumer : consumers) {
      consumer.unregister().await();
    }
  }

  /** A consumer of the insider's on {@code address} that keeps what it is sent and answers it a forgery. */
  private static MessageConsumer<Object> impostor(ClusterNode insider, String address, List<Message<Object>> caught,
      JsonObject forgedBuild) {
    MessageConsumer<Object> consumer = insider.vertx().eventBus().consumer(address, m -> {
      caught.add(m);
      m.reply(address.equals(Addresses.REPORT) ? new JsonObject().put("recorded", true) : forgedBuild);
    });
    consumer.completion().await();
    return consumer;
  }

  /**
   * The insider catches a submission an admin makes through the bridge (its answer, a forged id, is refused and the
   * bridge sends the submission again under its nonce: recorded once), then sends it to the coordinator itself three
   * times with the admin's caller and the bridge's signature. Each is refused as a replay and logged; the farm holds
   * exactly the builds the bridge client submitted.
   */
  @Test
  @Order(3)
  void aCapturedCoordinatorSignedSubmissionIsRefusedWhenSentAgainAndRanOnce() throws Exception {
    ClusterNode insider = insider("w-replayer");
    List<Message<Object>> caught = new CopyOnWriteArrayList<>();
    MessageConsumer<Object> catching = insider.vertx().eventBus().consumer(Addresses.SUBMIT, m -> {
      caught.add(m);
      m.reply(new JsonObject().put("id", FORGED));
    });
    catching.completion().await();
    int before = builds().size();
    List<String> submitted = new ArrayList<>();
    try (BridgeConnection client = BridgeConnection.open(bridge, farm.adminToken(), null, Duration.ofSeconds(30))) {
      for (int i = 0; i < 4 && caught.isEmpty(); i++) {
        JsonNode answer = client.request(Addresses.SUBMIT, Map.of("repo", REPO, "target", "bootstrap",
            "components", components));
        assertNotEquals(FORGED, answer.get("id").asText(), answer::toString);
        submitted.add(answer.get("id").asText());
      }
    }
    catching.unregister().await();
    assertFalse(caught.isEmpty(), "the insider caught a submission");
    Message<Object> stolen = caught.get(0);
    assertEquals("token:local", stolen.headers().get("bootfarm-caller"), "the admin's token, relayed by the bridge");
    List<String> recorded = builds();
    assertEquals(before + submitted.size(), recorded.size(), "each bridge submission recorded once: " + recorded);
    assertTrue(recorded.containsAll(submitted), recorded + " lacks " + submitted);

    MultiMap captured = MultiMap.caseInsensitiveMultiMap().addAll(stolen.headers());
    insider.vertx().eventBus().addOutboundInterceptor((DeliveryContext<Object> context) -> {
      if (context.message().address().equals(Addresses.SUBMIT)) {
        context.message().headers().clear().addAll(captured);
      }
      context.next();
    });
    for (int i = 0; i < 3; i++) {
      ReplyException refused = assertThrows(ReplyException.class, () -> insider.vertx().eventBus()
          .request(Addresses.SUBMIT, stolen.body(), timeout()).await());
      assertEquals(401, refused.failureCode(), refused.getMessage());
      assertTrue(refused.getMessage().contains("replayed: nonce " + captured.get(MessageSignatures.NONCE)),
          refused.getMessage());
    }
    awaitLogged("coordinator-a", "an API call on " + Addresses.SUBMIT + " has no farm member's valid signature or MAC:"
        + " replayed: nonce " + captured.get(MessageSignatures.NONCE) + " ", 3);
    assertEquals(recorded, builds(), "the captured submission ran once, no replay recorded a build");
  }

  /** The build once it ended: a cold build on a busy machine may take longer than {@link FarmProcesses#awaitBuild}. */
  private static JsonNode awaitFinished(String id) {
    return Eventually.value(Duration.ofMinutes(6), Duration.ofMillis(200), () -> farm.get("/api/v1/builds/" + id),
        b -> b.has("state") && FarmProcesses.finished(b));
  }

  private static DeliveryOptions timeout() {
    return new DeliveryOptions().setSendTimeout(15_000);
  }

  private static int caughtOn(List<Message<Object>> caught, String address) {
    return (int) caught.stream().filter(m -> m.address().equals(address)).count();
  }

  /** The ids of every build the farm holds. */
  private static List<String> builds() throws Exception {
    List<String> ids = new ArrayList<>();
    farm.get("/api/v1/builds?limit=1000").get("builds").forEach(b -> ids.add(b.get("id").asText()));
    return ids;
  }

  /** Waits until {@code name}'s log has {@code times} refusals containing {@code text}. */
  private static void awaitLogged(String name, String text, int times) throws Exception {
    boolean logged = Eventually.holds(Duration.ofSeconds(30), Eventually.EVERY,
        () -> farm.logText(name).lines().filter(l -> l.contains("refused (") && l.contains(text)).count() >= times);
    assertTrue(logged, name + " did not log " + times + " refusal(s) with '" + text + "':\n" + farm.logText(name));
  }
}
