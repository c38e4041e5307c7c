package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.client.ApiErrorException;
import org.bootfarm.client.FarmClient;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.bus.EventBusApi;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.repo.LoadOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's submissions against the real coordinator API and store (docs/adr/0056): many in flight travel
 * several to a message, each answered with its own durable build or its own refusal; a lone one still goes alone.
 */
@Tag("unit")
class SubmitBatchingTest {
  @TempDir Path dir;
  Vertx vertx;
  SqlBuildStore store;
  ArtifactStore artifacts;
  String tether;
  /** Submissions per message the client sent, by address. */
  final Map<String, ConcurrentLinkedQueue<Integer>> sent = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    byte[] content = "tether".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
    BuildCoordinator coordinator = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(projectRoot().resolve("repos"), new LoadOptions(projectRoot().resolve("../shared/keys")
            .normalize(), false)), new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    new EventBusApi(vertx, coordinator).register().await();
    vertx.eventBus().addOutboundInterceptor((DeliveryContext<Object> context) -> {
      String address = context.message().address();
      if (address.equals(Addresses.SUBMIT) || address.equals(Addresses.SUBMIT_MANY)) {
        // a batch travels as its JSON text (ADR 0056); a lone submission as a JSON object
        int carried = context.body() instanceof String text ? new JsonObject(text).getJsonArray("submissions").size()
            : 1;
        sent.computeIfAbsent(address, a -> new ConcurrentLinkedQueue<>()).add(carried);
      }
      context.next();
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  private static Path projectRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("repos")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no project root with repos/ above " + Path.of("").toAbsolutePath());
  }

  private SubmitRequest request(String repo) {
    return new SubmitRequest(repo, null, Map.of("tether", tether, "unpack", tether), null, null);
  }

  @Test
  void manyInFlightTravelSeveralToAMessageAndEachIsAnsweredWithItsOwnDurableBuild() throws Exception {
    FarmClient client = FarmClient.on(vertx, Duration.ofSeconds(30));
    int count = 600;
    int inFlight = 64;
    AtomicInteger issued = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(count);
    Set<String> ids = ConcurrentHashMap.newKeySet();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (issued.getAndIncrement() >= count) {
        return;
      }
      client.submit(request("debian-12")).onComplete(result -> {
        if (result.succeeded()) {
          ids.add(result.result());
        } else {
          failures.add(result.cause());
        }
        done.countDown();
        next[0].run(); // a new submission as each answer arrives, as the benchmark does
      });
    };
    vertx.runOnContext(nothing -> {
      for (int i = 0; i < inFlight; i++) {
        next[0].run();
      }
    });
    assertTrue(done.await(60, TimeUnit.SECONDS), "only " + (count - done.getCount()) + " answered");
    assertEquals(List.of(), failures);
    assertEquals(count, ids.size(), "every submission answered a distinct id");
    Set<String> stored = new HashSet<>();
    store.list(BuildFilter.newest(100_000)).forEach(build -> stored.add(build.id()));
    assertEquals(ids, stored, "each id answered is a recorded build, and nothing else was recorded");
    List<Integer> batches = new ArrayList<>(sent.getOrDefault(Addresses.SUBMIT_MANY, new ConcurrentLinkedQueue<>()));
    int alone = sent.getOrDefault(Addresses.SUBMIT, new ConcurrentLinkedQueue<>()).size();
    assertEquals(count, batches.stream().mapToInt(Integer::intValue).sum() + alone, "each submission sent once");
    assertTrue(batches.size() + alone < count / 4, (batches.size() + alone) + " messages carried " + count
        + " submissions: they were not carried together");
    assertTrue(batches.stream().allMatch(n -> n >= 2 && n <= 128), batches::toString);
  }

  @Test
  void aRefusedSubmissionFailsOnlyItsOwnAnswer() throws Exception {
    FarmClient client = FarmClient.on(vertx, Duration.ofSeconds(30));
    List<Future<String>> answers = new ArrayList<>();
    vertx.runOnContext(nothing -> {
      answers.add(client.submit(request("debian-12")));
      answers.add(client.submit(request("nosuch-3")));
      answers.add(client.submit(request("debian-12")));
    });
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() == 3);
    Future.join(answers).otherwiseEmpty().await(30, TimeUnit.SECONDS);
    assertTrue(answers.get(0).succeeded() && answers.get(2).succeeded(), answers::toString);
    ApiErrorException refused = assertInstanceOf(ApiErrorException.class, answers.get(1).cause());
    assertEquals(ApiError.Code.BAD_REQUEST, refused.code());
    assertTrue(refused.error().problems().get(0).startsWith("repo: 'nosuch-3'"), refused::getMessage);
    assertEquals(List.of(3), List.copyOf(sent.get(Addresses.SUBMIT_MANY)), "the three went in one message");
    assertEquals(2, store.list(BuildFilter.newest(100)).size());
  }

  @Test
  void aLoneSubmissionGoesAloneOnSubmit() {
    FarmClient client = FarmClient.on(vertx, Duration.ofSeconds(30));
    String id = client.submit(request("debian-12")).await();
    assertEquals(List.of(1), List.copyOf(sent.get(Addresses.SUBMIT)));
    assertEquals(null, sent.get(Addresses.SUBMIT_MANY));
    assertEquals(id, store.list(BuildFilter.newest(10)).get(0).id());
  }
}
