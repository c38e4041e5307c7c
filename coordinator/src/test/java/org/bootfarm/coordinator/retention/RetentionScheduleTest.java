package org.bootfarm.coordinator.retention;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator daemon runs retention once at start and then on its timer: an artifact nothing
 * names, older than the store's minimum age, is deleted by each; a pinned one stays.
 */
@Tag("unit")
class RetentionScheduleTest {
  @TempDir Path dir;

  static String put(ArtifactStore store, String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return store.put(Sha256.of(bytes), new ByteArrayInputStream(bytes)).sha256();
  }

  static Path objectFile(Path artifacts, String sha) {
    return artifacts.resolve("objects").resolve(sha.substring(0, 2)).resolve(sha);
  }

  static void age(Path file) throws Exception {
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
  }

  static boolean goneWithin(Path file, Duration limit) {
    return Eventually.holds(limit, Duration.ofMillis(50), () -> !Files.exists(file));
  }

  @Test
  void daemonCollectsAtStartAndThenOnItsTimer() throws Exception {
    Path data = dir.resolve("data");
    Path artifacts = data.resolve("artifacts");
    String orphan;
    String pinned;
    try (ArtifactStore store = ArtifactStore.openAt(artifacts, ArtifactStore.Options.defaults())) {
      orphan = put(store, "left by a build long gone");
      pinned = put(store, "kept by an operator");
      store.pin(pinned, "audit");
    }
    age(objectFile(artifacts, orphan));
    age(objectFile(artifacts, pinned));
    Vertx vertx = Vertx.vertx();
    try (CoordinatorDaemon daemon = CoordinatorDaemon.start(vertx, new CoordinatorSettings(data,
        Files.createDirectories(dir.resolve("repos")), Files.createDirectories(dir.resolve("keys")), "127.0.0.1", 0,
        Duration.ofSeconds(1), LeasePolicy.DEFAULT, RetryPolicy.DEFAULT,
        new RetentionPolicy.Settings(10, Duration.ofMillis(300))), null)) {
      assertTrue(goneWithin(objectFile(artifacts, orphan), Duration.ofSeconds(10)), "collected at start");

      byte[] later = "uploaded while the coordinator runs".getBytes(StandardCharsets.UTF_8);
      String uploaded = Sha256.of(later);
      HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create(daemon.artifactsUrl() + "/api/v1/artifacts/" + uploaded)).header("Authorization", "Bearer " + localToken(daemon))
          .PUT(HttpRequest.BodyPublishers.ofByteArray(later)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(201, put.statusCode(), put.body());
      // kept through two runs of the 300 ms timer
      await("younger than the minimum age: kept").during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5))
          .until(() -> Files.exists(objectFile(artifacts, uploaded)));
      assertTrue(Files.exists(objectFile(artifacts, uploaded)), "younger than the minimum age: kept");
      age(objectFile(artifacts, uploaded));
      assertTrue(goneWithin(objectFile(artifacts, uploaded), Duration.ofSeconds(10)), "collected by the timer");
      assertTrue(Files.exists(objectFile(artifacts, pinned)));
    } finally {
      vertx.close().await();
    }
  }

  /** The coordinator's own local admin token, from the tokens file it made. */
  private static String localToken(CoordinatorDaemon daemon) throws java.io.IOException {
    return org.bootfarm.coordinator.access.DefaultTokensFile.tokenOf(daemon.access().tokens().file(),
        org.bootfarm.coordinator.access.DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
  }
}
