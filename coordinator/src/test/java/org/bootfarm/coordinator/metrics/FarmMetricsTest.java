package org.bootfarm.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.daemon.DaemonComponents;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's {@code GET /metrics} against a real daemon (a real SQLite build store and artifact
 * store in a temp dir, a real event bus, HTTP): the counters move with submissions, starts, retries and
 * final states, and the gauges read the queue, the worker table and the artifact store when scraped. The
 * test speaks the worker's side of the wire itself (heartbeat, inbox, report).
 */
@Tag("unit")
class FarmMetricsTest {
  static final DeliveryOptions FAST = new DeliveryOptions().setSendTimeout(5000);

  @TempDir Path dir;
  Vertx vertx;
  CoordinatorDaemon daemon;
  final BlockingQueue<Assignment> inbox = new LinkedBlockingQueue<>();
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    daemon = CoordinatorDaemon.start(vertx, new CoordinatorSettings(dir.resolve("data"),
        ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys().trustedKeysDir(), "127.0.0.1", 0,
        Duration.ofMillis(100), LeasePolicy.DEFAULT, new RetryPolicy(3, Duration.ZERO, Duration.ZERO)), null);
    vertx.eventBus().<Object>consumer(Addresses.workerInbox("w1"), message -> {
      try {
        inbox.add(WireJson.read(String.valueOf(message.body()), Assignment.class));
      } catch (WireJson.WireFormatException e) {
        throw new AssertionError(e);
      }
    }).completion().await();
  }

  @AfterEach
  void stop() throws Exception {
    daemon.close();
    vertx.close().await();
  }

  /** One scrape: series ({@code name{labels}} as written) to value; the content type is checked. */
  Map<String, Double> scrape() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + daemon.httpPort() + "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("text/plain; version=0.0.4; charset=utf-8",
        response.headers().firstValue("Content-Type").orElse(null));
    Map<String, Double> series = new TreeMap<>();
    for (String line : response.body().split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        int space = line.lastIndexOf(' ');
        series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return series;
  }

  static double value(Map<String, Double> series, String name) {
    Double value = series.get(name);
    assertNotNull(value, () -> name + " is not in the scrape: " + series.keySet());
    return value;
  }

  void heartbeat(int busy) {
    vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, new JsonObject(WireJson.write(new WorkerInfo("w1", "node-1",
        "dev", "x86_64", List.of("apt", "dnf"), 2, busy, 1L << 40, List.of(), 1000, List.of()))));
  }

  String submit() throws Exception {
    JsonObject answer = (JsonObject) vertx.eventBus().request(Addresses.SUBMIT, new JsonObject(WireJson.write(
        Map.of("repo", "debian-12", "components", DaemonComponents.bootstrap(daemon, dir.resolve("data"))))), FAST)
        .await().body();
    return answer.getString("id");
  }

  void reportFailure(String id, int attempt, boolean deterministic) {
    vertx.eventBus().request(Addresses.REPORT, new JsonObject(WireJson.write(new BuildReport(id, "w1", attempt,
        BuildState.FAILED, List.of(), List.of(), deterministic ? "package 'busybox' not found" : "mirror unreachable",
        deterministic ? "PACKAGE" : "NETWORK", deterministic, null))), FAST).await();
  }

  @Test
  void countersMoveWithTheBuildsAndGaugesReadTheQueueAndWorkers() throws Exception {
    Map<String, Double> empty = scrape();
    assertEquals(1.0, value(empty, "bootfarm_coordinator_active"), "a coordinator alone is active");
    assertEquals(0.0, value(empty, "bootfarm_lease_expiries_total"), "unlabelled counters exist from the start");
    assertEquals(0.0, value(empty, "bootfarm_nightly_runs_total"));
    assertEquals(0.0, value(empty, "bootfarm_queue_depth{priority=\"interactive\"}"));
    assertEquals(0.0, value(empty, "bootfarm_queue_depth{priority=\"nightly\"}"));
    assertEquals(0.0, value(empty, "bootfarm_queue_oldest_age_seconds"));
    assertEquals(0.0, value(empty, "bootfarm_workers_live"));
    assertEquals(0.0, value(empty, "bootfarm_artifact_store_objects"));
    assertTrue(value(empty, "bootfarm_artifact_store_capacity_bytes") > 0, "the temp dir's file system has a size");
    assertTrue(value(empty, "bootfarm_artifact_store_free_bytes") > 0);
    assertEquals(0.0, value(empty, "bootfarm_nightly_last_run_timestamp_seconds"));
    assertEquals(0.0, value(empty, "bootfarm_builds_stolen_total{repo=\"debian-12\",target=\"bootstrap\"}"),
        "a dashboard panel reads it before the first steal");
    assertTrue(value(empty, "bootfarm_nightly_next_run_timestamp_seconds") * 1000 > System.currentTimeMillis(),
        "the default schedule's next instant is ahead");
    assertTrue(empty.containsKey("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"}")
        || empty.keySet().stream().anyMatch(s -> s.startsWith("jvm_memory_used_bytes")), "JVM meters are exported");
    assertTrue(empty.keySet().stream().anyMatch(s -> s.startsWith("process_uptime_seconds")), "process meters too");

    String first = submit();
    String second = submit();
    // the oldest queued build ages
    Map<String, Double> queued = Eventually.value(Duration.ofSeconds(10), Duration.ofMillis(50), this::scrape,
        scraped -> scraped.getOrDefault("bootfarm_queue_oldest_age_seconds", 0.0) > 0);
    String debian = "{priority=\"interactive\",repo=\"debian-12\",target=\"bootstrap\"}";
    assertEquals(2.0, value(queued, "bootfarm_builds_submitted_total" + debian));
    assertEquals(2.0, value(queued, "bootfarm_queue_depth{priority=\"interactive\"}"));
    assertTrue(value(queued, "bootfarm_queue_oldest_age_seconds") > 0, "the oldest queued build has an age");

    heartbeat(0); // two slots: both builds are placed
    Assignment run1 = inbox.poll(10, TimeUnit.SECONDS);
    Assignment other = inbox.poll(10, TimeUnit.SECONDS);
    assertNotNull(other, "both builds were placed");
    assertEquals(java.util.Set.of(first, second), java.util.Set.of(run1.buildId(), other.buildId()));
    reportFailure(first, 0, false); // transient: queued again, one retry
    Assignment run2 = inbox.poll(10, TimeUnit.SECONDS);
    assertNotNull(run2, "the re-queued build was placed again");
    assertEquals(first, run2.buildId());
    reportFailure(first, 1, true); // deterministic: failed for good
    assertEquals("CANCELLED", ((JsonObject) vertx.eventBus().request(Addresses.CANCEL,
        new JsonObject(Map.of("id", second)), FAST).await().body()).getString("state"));

    Map<String, Double> after = scrape();
    String build = "{repo=\"debian-12\",target=\"bootstrap\"}";
    assertEquals(3.0, value(after, "bootfarm_builds_started_total" + build), "each attempt is a start");
    assertEquals(1.0, value(after, "bootfarm_build_retries_total{repo=\"debian-12\"}"));
    assertEquals(1.0, value(after,
        "bootfarm_builds_finished_total{outcome=\"failed\",repo=\"debian-12\",target=\"bootstrap\"}"));
    assertEquals(1.0, value(after,
        "bootfarm_builds_finished_total{outcome=\"cancelled\",repo=\"debian-12\",target=\"bootstrap\"}"));
    assertEquals(1.0, value(after,
        "bootfarm_build_duration_seconds_count{outcome=\"failed\",repo=\"debian-12\",target=\"bootstrap\"}"));
    assertEquals(1.0, value(after,
        "bootfarm_build_duration_seconds_count{outcome=\"cancelled\",repo=\"debian-12\",target=\"bootstrap\"}"),
        "the cancelled build was running: its attempt has a duration");
    assertEquals(1.0, value(after, "bootfarm_build_duration_seconds_bucket{outcome=\"failed\",repo=\"debian-12\","
        + "target=\"bootstrap\",le=\"3600.0\"}"), "build durations are a histogram with buckets up to an hour");
    assertEquals(2.0, value(after, "bootfarm_build_queue_wait_seconds_count{target=\"bootstrap\"}"),
        "the first start of each build waited in the queue from submission; the retry does not count");
    assertEquals(0.0, value(after, "bootfarm_lease_expiries_total"), "no lease ran out");
    assertEquals(0.0, value(after, "bootfarm_queue_depth{priority=\"interactive\"}"));
    assertEquals(0.0, value(after, "bootfarm_queue_oldest_age_seconds"));
    assertEquals(1.0, value(after, "bootfarm_workers_live"));
    assertEquals(2.0, value(after, "bootfarm_worker_slots"));
    assertEquals(0.0, value(after, "bootfarm_worker_slots_busy"));
  }

  @Test
  void aReportNamingAnArtifactTheStoreLacksIsRefusedCountedAndRetriedAndACollectionStillRuns() throws Exception {
    assertEquals(0.0, value(scrape(), "bootfarm_reports_refused_total"));
    String id = submit();
    heartbeat(0);
    Assignment run = inbox.poll(10, TimeUnit.SECONDS);
    assertNotNull(run, "the build was placed");
    JsonObject answer = (JsonObject) vertx.eventBus().request(Addresses.REPORT, new JsonObject(WireJson.write(
        new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, List.of(new org.bootfarm.protocol.build.ArtifactRecord(
            "bootstrap-debian-12.iso", "ab".repeat(32), 4096)), List.of(), null, null, false, null))), FAST)
        .await().body();
    assertNotNull(answer, "the report is answered, so the worker stops sending it");
    Assignment retried = inbox.poll(10, TimeUnit.SECONDS);
    assertNotNull(retried, "the run was retried");
    assertEquals(id, retried.buildId());
    assertEquals(1, retried.attempt());
    assertEquals(1.0, value(scrape(), "bootfarm_reports_refused_total"));
    JsonObject view = (JsonObject) vertx.eventBus().request(Addresses.GET, new JsonObject(Map.of("id", id)), FAST)
        .await().body();
    assertEquals("[]", view.getJsonArray("artifacts").encode(), "nothing of the refused report was recorded");
    JsonObject collected = (JsonObject) vertx.eventBus().request(Addresses.GC, new JsonObject(), FAST).await()
        .body();
    assertNotNull(collected.getValue("freedObjects"), collected::encode);
  }
}
