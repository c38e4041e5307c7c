package org.bootfarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A coordinator (data member) and workers (lite members), each a separate JVM on 127.0.0.1, form one
 * cluster; the event bus reaches across them, a worker killed with kill -9 is gone within seconds, a
 * late worker joins, and a worker with no coordinator to join says so. The tests run in order on one
 * cluster: each later one relies on the members the earlier ones left.
 */
@Tag("process")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessesTest {
  private final List<ChildNode> children = new ArrayList<>();
  private Path dir;
  private String clusterName;
  private String join;
  private ChildNode coordinator;
  private ChildNode worker1;
  private ChildNode worker2;
  private ChildNode lonelyWorker;
  private ChildNode worker3;
  private String worker3Id;
  private String coordinatorId;
  private String worker1Id;
  private String worker2Id;

  @BeforeAll
  void startCoordinatorAndTwoWorkers() throws Exception {
    dir = Files.createTempDirectory("cluster-test");
    clusterName = "bootfarm-test-" + ProcessHandle.current().pid();
    int coordinatorPort = FreePorts.one();
    join = "127.0.0.1:" + coordinatorPort;
    coordinator =
        started(ChildNode.start("coordinator", NodeRole.COORDINATOR, clusterName, coordinatorPort, join, dir));
    // meanwhile a worker whose join list names a port nobody listens on
    int deadPort = FreePorts.one();
    lonelyWorker = started(ChildNode.start("lonely", NodeRole.WORKER, clusterName + "-alone", FreePorts.one(),
        "127.0.0.1:" + deadPort, dir));
    String ready = coordinator.await("ready ", 60);
    coordinatorId = ready.split(" ")[1];
    System.out.println("coordinator started in " + ready.split(" ")[2] + " ms");
    worker1 = started(ChildNode.start("w1", NodeRole.WORKER, clusterName, FreePorts.one(), join, dir));
    worker2 = started(ChildNode.start("w2", NodeRole.WORKER, clusterName, FreePorts.one(), join, dir));
    String ready1 = worker1.await("ready ", 60);
    String ready2 = worker2.await("ready ", 60);
    worker1Id = ready1.split(" ")[1];
    worker2Id = ready2.split(" ")[1];
    System.out.println("workers started in " + ready1.split(" ")[2] + " and " + ready2.split(" ")[2] + " ms");
  }

  @AfterAll
  void killChildren() throws InterruptedException {
    for (ChildNode child : children) {
      child.close();
    }
  }

  @Test
  @Order(1)
  void coordinatorAndTwoWorkersFormOneClusterWithTheirRoles() throws Exception {
    coordinator.command("members");
    List<String> members = Arrays.asList(coordinator.await("members ", 10).substring(8).split(","));
    assertEquals(List.of(coordinatorId + ":COORDINATOR:local", worker1Id + ":WORKER", worker2Id + ":WORKER"),
        members.stream().sorted((a, b) -> order(a) - order(b)).toList());
    worker2.command("members");
    assertTrue(worker2.await("members ", 10).contains(worker2Id + ":WORKER:local"));
  }

  @Test
  @Order(2)
  void requestFromCoordinatorReachesConsumerInWorker() throws Exception {
    coordinator.command("send ping.w1");
    assertEquals(worker1Id, coordinator.await("reply ping.w1 ", 10).split(" ")[2]);
    coordinator.command("send ping.w2");
    assertEquals(worker2Id, coordinator.await("reply ping.w2 ", 10).split(" ")[2]);
    worker1.command("send ping.coordinator");
    assertEquals(coordinatorId, worker1.await("reply ping.coordinator ", 10).split(" ")[2]);
  }

  @Test
  @Order(3)
  void workerKilledWithKillMinus9IsGoneWithinSecondsAndItsAddressFailsFast() throws Exception {
    long killedAt = System.currentTimeMillis();
    worker2.killMinus9();
    String left = coordinator.await("left " + worker2Id, 10);
    long noticedMs = Long.parseLong(left.split(" ")[3]) - killedAt;
    System.out.println("coordinator noticed the killed worker after " + noticedMs + " ms");
    assertTrue(left.contains(" WORKER "), left);
    assertTrue(noticedMs < 6000, "noticed only after " + noticedMs + " ms");

    // Vert.x drops the dead member's consumers a moment after Hazelcast reports it gone: until then a
    // request is still routed to it and times out. Probe with short timeouts until it fails fast.
    String failed;
    int timedOut = -1;
    do {
      timedOut++;
      coordinator.command("send ping.w2 200");
      failed = coordinator.await("fail ping.w2 ", 10);
    } while (failed.split(" ")[2].equals("TIMEOUT") && System.currentTimeMillis() - killedAt < 5000);
    long failsFastAfterMs = System.currentTimeMillis() - killedAt;
    long micros = Long.parseLong(failed.split(" ")[3]);
    System.out.println("requests to the dead worker's address fail with " + failed.split(" ")[2] + " from "
        + failsFastAfterMs + " ms after the kill, in " + micros + " us (" + timedOut + " probes of 200 ms timed out)");
    assertEquals("NO_HANDLERS", failed.split(" ")[2]);
    assertTrue(micros < 100_000, "failed only after " + micros + " us");
    coordinator.command("send ping.w1");
    assertEquals(worker1Id, coordinator.await("reply ping.w1 ", 10).split(" ")[2]);
    coordinator.command("members");
    assertEquals(2, coordinator.await("members ", 10).split(",").length, "coordinator and the surviving worker");
  }

  @Test
  @Order(4)
  void workerStartedAfterTheCoordinatorJoinsAndServes() throws Exception {
    long before = System.nanoTime();
    worker3 = started(ChildNode.start("w3", NodeRole.WORKER, clusterName, FreePorts.one(), join, dir));
    String ready = worker3.await("ready ", 60);
    worker3Id = ready.split(" ")[1];
    System.out.println("late worker started in " + ready.split(" ")[2] + " ms (" + (System.nanoTime() - before)
        / 1_000_000 + " ms with its JVM)");
    assertTrue(coordinator.await("joined " + worker3Id, 10).contains(" WORKER "));
    coordinator.command("send ping.w3");
    assertEquals(worker3Id, coordinator.await("reply ping.w3 ", 10).split(" ")[2]);
  }

  @Test
  @Order(5)
  void workerWithNoCoordinatorToJoinFailsNamingTheJoinList() throws Exception {
    String failed = lonelyWorker.await("failed ", 60);
    System.out.println("worker without a coordinator: " + failed);
    assertTrue(lonelyWorker.exited(10), "the worker did not exit after failing");
    assertNotEquals(0, lonelyWorker.exitValue());
    assertTrue(failed.contains("no coordinator"), failed);
    assertTrue(failed.contains("start a coordinator first"), failed);
  }

  @Test
  @Order(6)
  void workerStoppedWithSigtermLeavesTheClusterThroughItsShutdownHook() throws Exception {
    long stoppedAt = System.currentTimeMillis();
    worker1.terminate();
    String left = coordinator.await("left " + worker1Id, 10);
    System.out.println("coordinator saw the SIGTERMed worker leave after "
        + (Long.parseLong(left.split(" ")[3]) - stoppedAt) + " ms");
    assertTrue(worker1.exited(10), "the worker did not exit on SIGTERM");
    System.out.println("the SIGTERMed worker exited after " + (System.currentTimeMillis() - stoppedAt) + " ms");
    // as after a kill (order 3), the coordinator's Vert.x may route a request to the departed worker's
    // consumers for a moment after Hazelcast reported it gone, where it times out: ask until it does not
    String failure = Eventually.value(Duration.ofSeconds(15), Duration.ofMillis(100), () -> {
      coordinator.command("send ping.w1 1000");
      return coordinator.await("fail ping.w1 ", 10).split(" ")[2];
    }, answer -> !answer.equals("TIMEOUT"));
    assertEquals("NO_HANDLERS", failure);
  }

  @Test
  @Order(7)
  void frozenWorkerIsGoneAfterTheMaximumTimeWithoutHeartbeat() throws Exception {
    long frozenAt = System.currentTimeMillis();
    worker3.freeze();
    String left = coordinator.await("left " + worker3Id, 15);
    long noticedMs = Long.parseLong(left.split(" ")[3]) - frozenAt;
    System.out.println("coordinator noticed the frozen worker after " + noticedMs + " ms");
    assertTrue(noticedMs >= 4000 && noticedMs < 10_000,
        "expected about the 5 s without heartbeat, took " + noticedMs + " ms");
  }

  @Test
  @Order(8)
  void workerHearsTheLastCoordinatorLeaveAfterWhichItsEventBusNoLongerWorks() throws Exception {
    ChildNode worker4 = started(ChildNode.start("w4", NodeRole.WORKER, clusterName, FreePorts.one(), join, dir));
    worker4.await("ready ", 60);
    long killedAt = System.currentTimeMillis();
    coordinator.killMinus9();
    String left = worker4.await("left " + coordinatorId, 10);
    System.out.println("worker noticed the killed coordinator after "
        + (Long.parseLong(left.split(" ")[3]) - killedAt) + " ms");
    assertTrue(left.contains(" COORDINATOR "), left);
    worker4.command("members");
    String members = worker4.await("members ", 10);
    assertTrue(!members.contains("COORDINATOR"), members);
    // the subscriptions lived on the coordinator: even the worker's own consumer is out of reach,
    // which is why a worker with no coordinator left must restart
    worker4.command("send ping.w4 1000");
    String orphaned = worker4.await("", 10);
    System.out.println("worker's request to its own consumer with no coordinator left: " + orphaned);
    assertTrue(orphaned.startsWith("fail ping.w4 TIMEOUT"), orphaned);
  }

  private ChildNode started(ChildNode child) {
    children.add(child);
    return child;
  }

  private int order(String member) {
    return member.startsWith(coordinatorId) ? 0 : member.startsWith(worker1Id) ? 1 : 2;
  }

}
