package org.bootfarm.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone shape: one coordinator alone on loopback, in this JVM. */
@Tag("unit")
class ClusterNodeTest {
  @TempDir Path dir;

  @Test
  void coordinatorWithNoJoinListFormsAClusterOfOneAndServesItsEventBus() throws Exception {
    int port = FreePorts.one();
    long start = System.nanoTime();
    try (ClusterNode node = ClusterNode.start(ClusterSettings.of(NodeRole.COORDINATOR, "localhost", port, "", dir)
        .withClusterName("bootfarm-standalone-" + ProcessHandle.current().pid()))) {
      System.out.println("standalone coordinator started in " + (System.nanoTime() - start) / 1_000_000 + " ms");
      List<ClusterMember> members = node.membership().members();
      assertEquals(List.of(new ClusterMember(node.nodeId(), "127.0.0.1:" + port, NodeRole.COORDINATOR, true)),
          members);
      assertTrue(node.membership().isLive(node.nodeId()));
      assertEquals(List.of(), node.membership().workers());
      node.vertx().eventBus().<String>consumer("echo", m -> m.reply("echo " + m.body())).completion().await();
      assertEquals("echo hi", node.vertx().eventBus().<String>request("echo", "hi").await().body());
    }
  }

  @Test
  void takenClusterPortFailsNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      ClusterStartException e = assertThrows(ClusterStartException.class, () -> ClusterNode.start(
          ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", taken.getLocalPort(), "", dir)));
      System.out.println(e.getMessage());
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().startsWith("cannot listen on --cluster-host/--cluster-port 127.0.0.1:"
          + taken.getLocalPort() + ": the port is in use"), e.getMessage());
    }
  }

  @Test
  void workerWithNoCoordinatorFailsAndLeavesNoHazelcastRunning() throws Exception {
    int nobody = FreePorts.one();
    long start = System.nanoTime();
    ClusterStartException e = assertThrows(ClusterStartException.class, () -> ClusterNode.start(
        ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", FreePorts.one(), "127.0.0.1:" + nobody, dir)
            .withClusterName("bootfarm-nobody-" + ProcessHandle.current().pid())));
    System.out.println("worker without coordinator failed after " + (System.nanoTime() - start) / 1_000_000 + " ms");
    assertTrue(e.getMessage().startsWith("worker found no coordinator in cluster"), e.getMessage());
    assertTrue(e.getMessage().contains("127.0.0.1:" + nobody), e.getMessage());
    assertTrue(e.noCoordinator());
    // so a caller may wait and try again in the same JVM
    assertEquals(Set.of(), Hazelcast.getAllHazelcastInstances());
  }

  @Test
  void waitingWorkerJoinsOnceACoordinatorComesUp() throws Exception {
    int coordinatorPort = FreePorts.one();
    String name = "bootfarm-late-coordinator-" + ProcessHandle.current().pid();
    ClusterSettings worker = ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + coordinatorPort, dir.resolve("worker")).withClusterName(name);
    List<String> waited = new CopyOnWriteArrayList<>();
    CompletableFuture<ClusterNode> joined = CompletableFuture.supplyAsync(() -> {
      try {
        return ClusterNode.startWhenCoordinatorIsUp(
            worker, Duration.ofSeconds(30), Duration.ofMillis(500), waited::add);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
    await().atMost(Duration.ofSeconds(60)).until(() -> !waited.isEmpty() || joined.isDone());
    assertFalse(waited.isEmpty() && joined.isDone(), "the worker should wait, not " + joined);
    try (ClusterNode coordinator = ClusterNode.start(
            ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", coordinatorPort, "", dir.resolve("coordinator"))
                .withClusterName(name));
        ClusterNode workerNode = joined.get(30, TimeUnit.SECONDS)) {
      assertTrue(waited.get(0).startsWith("worker found no coordinator"), waited.get(0));
      assertTrue(waited.get(0).endsWith("; trying again in 500 ms"), waited.get(0));
      assertEquals(List.of(workerNode.nodeId()),
          coordinator.membership().workers().stream().map(ClusterMember::nodeId).toList());
      workerNode.vertx().eventBus().<String>consumer("work", m -> m.reply("done")).completion().await();
      assertEquals("done", coordinator.vertx().eventBus().<String>request("work", "").await().body());
    }
  }

  @Test
  void unresolvableClusterHostIsNamed() {
    ClusterStartException e = assertThrows(ClusterStartException.class, () -> ClusterNode.start(
        ClusterSettings.of(NodeRole.COORDINATOR, "no-such-host.invalid", 5701, "", dir)));
    assertEquals("--cluster-host 'no-such-host.invalid' does not resolve; give an IP address of this machine",
        e.getMessage());
  }

}
