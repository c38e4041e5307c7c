package org.bootfarm.coordinator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator daemon publishes every state change of a build on the build's event address:
 * RUNNING when it places the build, QUEUED when a transient failure puts it back, FAILED (with the
 * worker's error, and the log it reported kept in the record) and CANCELLED. The test speaks the
 * worker's side of the wire itself (heartbeat, inbox, report) on a real event bus.
 */
@Tag("unit")
class BuildStateEventsTest {
  static final DeliveryOptions FAST = new DeliveryOptions().setSendTimeout(5000);

  @TempDir Path dir;
  Vertx vertx;
  CoordinatorDaemon daemon;
  final BlockingQueue<Assignment> inbox = new LinkedBlockingQueue<>();

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

  JsonObject request(String address, Object body) {
    return (JsonObject) vertx.eventBus().request(address, new JsonObject(WireJson.write(body)), FAST).await().body();
  }

  /** Subscribes to a build's events; the queue receives its state events only. */
  BlockingQueue<BuildEvent> states(String id) {
    BlockingQueue<BuildEvent> states = new LinkedBlockingQueue<>();
    vertx.eventBus().<Object>consumer(Addresses.buildEvents(id), message -> {
      try {
        BuildEvent event = WireJson.read(String.valueOf(message.body()), BuildEvent.class);
        if (event.type() == BuildEvent.Type.STATE) {
          states.add(event);
        }
      } catch (WireJson.WireFormatException e) {
        throw new AssertionError(e);
      }
    }).completion().await();
    return states;
  }

  static BuildEvent next(BlockingQueue<BuildEvent> states, BuildState expected) throws InterruptedException {
    BuildEvent event = states.poll(10, TimeUnit.SECONDS);
    assertNotNull(event, "no state event; expected " + expected);
    assertEquals(expected, event.state(), event::toString);
    return event;
  }

  void heartbeat() {
    vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, new JsonObject(WireJson.write(new WorkerInfo("w1", "node-1",
        "dev", "x86_64", List.of("apt", "dnf"), 1, 0, 1L << 40, List.of(), 1000, List.of()))));
  }

  void report(String id, int attempt, String error, boolean deterministic, String log) {
    vertx.eventBus().send(Addresses.REPORT, new JsonObject(WireJson.write(new BuildReport(id, "w1", attempt,
        BuildState.FAILED,
        List.of(), List.of(), error, deterministic ? "PACKAGE" : "NETWORK", deterministic, log))));
  }

  @Test
  void placementRequeueAndFailureArePublishedAsStateEvents() throws Exception {
    String id = request(Addresses.SUBMIT, Map.of("repo", "debian-12", "components",
        DaemonComponents.bootstrap(daemon, dir.resolve("data")))).getString("id");
    BlockingQueue<BuildEvent> states = states(id);
    heartbeat(); // only now can the build be placed: the subscription is already there

    BuildEvent running = next(states, BuildState.RUNNING);
    assertEquals(id, running.buildId());
    assertTrue(running.text().startsWith("running on worker w1: "), running.text());
    assertEquals(id, inbox.poll(10, TimeUnit.SECONDS).buildId());

    report(id, 0, "mirror unreachable", false, null);
    BuildEvent requeued = next(states, BuildState.QUEUED);
    assertTrue(requeued.text().startsWith("run 1 of 3 failed: worker w1 reported a transient failure: mirror"
        + " unreachable; re-queued"), requeued.text());

    next(states, BuildState.RUNNING);
    assertEquals(id, inbox.poll(10, TimeUnit.SECONDS).buildId());
    String log = DaemonComponents.upload(daemon, dir.resolve("data"), "the failed run's whole log\n");
    report(id, 1, "package 'busybox' not found", true, log);
    BuildEvent failed = next(states, BuildState.FAILED);
    assertTrue(failed.text().contains("package 'busybox' not found"), failed.text());

    BuildView build = WireJson.read(request(Addresses.GET, Map.of("id", id)).encode(), BuildView.class);
    assertEquals(BuildState.FAILED, build.state());
    assertEquals(log, build.log(), "the failed run's log is kept with the build");
    assertEquals(null, states.poll(300, TimeUnit.MILLISECONDS), "nothing after the final state");
  }

  @Test
  void cancellingAQueuedBuildPublishesCancelled() throws Exception {
    String id = request(Addresses.SUBMIT, Map.of("repo", "debian-12", "components",
        DaemonComponents.bootstrap(daemon, dir.resolve("data")))).getString("id");
    BlockingQueue<BuildEvent> states = states(id);
    assertEquals("CANCELLED", request(Addresses.CANCEL, Map.of("id", id)).getString("state"));
    BuildEvent cancelled = next(states, BuildState.CANCELLED);
    assertEquals("cancelled while QUEUED", cancelled.text());
  }
}
