package org.bootfarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.ClusterStartException;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's errors when there is no coordinator to talk to: joining a cluster with none fails
 * after its patience with a message saying what to do, and a request on an event bus that no
 * coordinator serves fails at once with an UNAVAILABLE ApiError naming the address.
 */
@Tag("unit")
class FarmClientTest {
  @TempDir Path dir;

  @Test
  void connectWithNoCoordinatorFailsClearlyAfterItsPatience() throws Exception {
    int nobody = FreePorts.one();
    ClusterSettings settings = ClusterSettings.of(NodeRole.CLIENT, "127.0.0.1", FreePorts.one(), "127.0.0.1:" + nobody,
        dir).withClusterName("bootfarm-client-alone-" + ProcessHandle.current().pid());
    long start = System.nanoTime();
    ClusterStartException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> assertThrows(ClusterStartException.class, () -> FarmClient.connect(settings, Duration.ofSeconds(3))));
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.println("connect without a coordinator failed after " + waited + " ms: " + e.getMessage());
    assertTrue(e.getMessage().startsWith("client found no coordinator in cluster 'bootfarm-client-alone-"),
        e.getMessage());
    assertTrue(e.getMessage().contains("127.0.0.1:" + nobody), e.getMessage());
    assertTrue(e.getMessage().contains("start a coordinator first or fix --join"), e.getMessage());
    // it gives up once another try (every 500 ms) would end after its patience of 3 s
    assertTrue(waited >= 2500, "it kept trying for its patience of 3 s, not just " + waited + " ms");
  }

  @Test
  void connectRefusesSettingsOfAnotherRole() {
    ClusterSettings worker = ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", 5701, "", dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FarmClient.connect(worker, Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("joins as CLIENT, not WORKER"), e.getMessage());
  }

  @Test
  void requestsWithNoCoordinatorOnTheBusFailAtOnceUnavailableNamingTheAddress() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FarmClient client = FarmClient.on(vertx, Duration.ofSeconds(20));
      ApiErrorException submit = assertThrows(ApiErrorException.class, () -> client.submit(
          new SubmitRequest("debian-12", null, Map.of(), null, null)).await(5, TimeUnit.SECONDS));
      assertEquals(ApiError.Code.UNAVAILABLE, submit.code());
      assertTrue(submit.getMessage().contains("no coordinator serves " + Addresses.SUBMIT), submit.getMessage());

      ApiErrorException upload = assertThrows(ApiErrorException.class,
          () -> client.upload(dir.resolve("anything")).await(5, TimeUnit.SECONDS));
      assertTrue(upload.getMessage().contains("no coordinator serves " + Addresses.INFO), upload.getMessage());

      List<BuildEvent> events = new ArrayList<>();
      BuildFollowing following = client.follow("01NOCOORDINATOR", events::add);
      ApiErrorException follow = assertThrows(ApiErrorException.class,
          () -> following.ended().await(5, TimeUnit.SECONDS));
      assertTrue(follow.getMessage().contains("no coordinator serves " + Addresses.GET), follow.getMessage());
      assertEquals(List.of(), events);
      assertTrue(following.ready().failed(), "a follow that could not start says so in ready() too");

      ApiErrorException badId = assertThrows(ApiErrorException.class,
          () -> client.follow("not an id", events::add).ready().await(5, TimeUnit.SECONDS));
      assertEquals(ApiError.Code.BAD_REQUEST, badId.code());
      assertTrue(badId.getMessage().contains("'not an id'"), badId.getMessage());
    } finally {
      vertx.close().await();
    }
  }
}
