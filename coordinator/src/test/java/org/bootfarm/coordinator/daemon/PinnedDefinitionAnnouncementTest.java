package org.bootfarm.coordinator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon tells the other coordinators of a submitted build's pinned definition as it tells them of an
 * upload ({@link ArtifactReplication#STORED}), so a standby copies the definition before it may have to run
 * the build (ADR 0034), once per definition for a while, not once per submission (ADR 0051).
 */
@Tag("unit")
class PinnedDefinitionAnnouncementTest {
  @TempDir Path dir;
  Vertx vertx;
  CoordinatorDaemon daemon;
  final BlockingQueue<JsonObject> announced = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    daemon = CoordinatorDaemon.start(vertx, new CoordinatorSettings(dir.resolve("data"),
        ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys().trustedKeysDir(), "127.0.0.1", 0,
        Duration.ofMillis(100), LeasePolicy.DEFAULT, new RetryPolicy(3, Duration.ZERO, Duration.ZERO)), null);
    vertx.eventBus().<Object>consumer(ArtifactReplication.STORED, message -> {
      if (message.body() instanceof JsonObject body) {
        announced.add(body);
      }
    }).completion().await();
  }

  @AfterEach
  void stop() throws Exception {
    daemon.close();
    vertx.close().await();
  }

  @Test
  void submittedBuildsDefinitionIsAnnouncedFromThisCoordinator() throws Exception {
    Map<String, String> components = DaemonComponents.bootstrap(daemon, dir.resolve("data"));
    JsonObject answer = (JsonObject) vertx.eventBus().request(Addresses.SUBMIT,
        new JsonObject(WireJson.write(Map.of("repo", "debian-12", "components", components))), new DeliveryOptions().setSendTimeout(5000))
        .await().body();
    assertNotNull(answer.getString("id"), answer::encode);
    // the components' own announcements (from their uploads) are not what this test waits for
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonObject stored;
    do {
      stored = announced.poll(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
    } while (stored != null && components.containsValue(stored.getString("sha256")));
    assertNotNull(stored, "no announcement of the pinned definition");
    assertEquals(RepoDefinitionLoader.digest(ProjectTree.root().resolve("repos/debian-12")), stored.getString("sha256"));
    assertEquals(daemon.artifactsUrl(), stored.getString("source"));

    // the same definition again, at once: announced already, not once more per submission (ADR 0051)
    vertx.eventBus().request(Addresses.SUBMIT, new JsonObject(WireJson.write(Map.of("repo", "debian-12",
        "components", components))), new DeliveryOptions().setSendTimeout(5000)).await();
    JsonObject again;
    do {
      again = announced.poll(1, TimeUnit.SECONDS);
    } while (again != null && components.containsValue(again.getString("sha256")));
    assertNull(again, "the definition was announced again for the second submission");
  }
}
