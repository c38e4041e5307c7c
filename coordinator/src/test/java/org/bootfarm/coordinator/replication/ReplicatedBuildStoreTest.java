package org.bootfarm.coordinator.replication;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The active coordinator's replicated store and a standby's replica on two real Hazelcast data
 * members in one JVM, each coordinator with its own SQLite file: the standby follows every change,
 * a standby joining later starts from the map's snapshot, finished builds leave the map but not the
 * standby's history, the map survives the active member's death (its backups), and ids issued after a takeover
 * sort after every id the standby copied in.
 */
@Tag("unit")
class ReplicatedBuildStoreTest {
  private static final String TETHER = "11".repeat(32);
  private static final ArtifactRecord ISO = new ArtifactRecord("bootstrap.iso", "33".repeat(32), 1234);

  static HazelcastInstance first;
  static HazelcastInstance second;

  @TempDir Path dir;
  private SqlBuildStore activeSqlite;
  private SqlBuildStore standbySqlite;
  private BuildReplica replica;
  private IMap<String, String> activeMap;
  private IMap<String, String> standbyMap;

  static Config config(String cluster, int port, int joinPort) {
    Config config = new Config().setClusterName(cluster);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + joinPort));
    return config;
  }

  @BeforeAll
  static void startMembers() throws IOException {
    int firstPort = FreePorts.one();
    String cluster = "replicated-store-test-" + firstPort;
    first = Hazelcast.newHazelcastInstance(config(cluster, firstPort, firstPort));
    second = Hazelcast.newHazelcastInstance(config(cluster, FreePorts.one(), firstPort));
  }

  @AfterAll
  static void stopMembers() {
    second.getLifecycleService().terminate();
    first.getLifecycleService().terminate();
  }

  @AfterEach
  void close() {
    if (replica != null) {
      replica.close();
    }
    activeSqlite.close();
    standbySqlite.close();
  }

  /** Both coordinators' stores on one map of this test's own name. */
  private ReplicatedBuildStore open(String mapName, Duration historyTtl, Clock standbyClock) {
    activeSqlite = SqlBuildStore.open(dir.resolve("active/builds.sqlite"), Clock.systemUTC());
    standbySqlite = SqlBuildStore.open(dir.resolve("standby/builds.sqlite"), standbyClock);
    activeMap = first.getMap(mapName);
    standbyMap = second.getMap(mapName);
    return new ReplicatedBuildStore(activeSqlite, activeMap, historyTtl);
  }

  private static String submit(ReplicatedBuildStore store) {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "photon-2.0", "bootstrap", Map.of("tether", TETHER),
        BuildPriority.INTERACTIVE, "{}", Instant.now()));
    return id;
  }

  private static <T> T eventually(Supplier<T> value, java.util.function.Predicate<T> until) {
    return Eventually.value(Duration.ofSeconds(10), Duration.ofMillis(25), value::get, until);
  }

  @Test
  void standbyFollowsEveryChangeOfTheActiveStore() throws Exception {
    ReplicatedBuildStore active = open("follow", Duration.ofHours(1), Clock.systemUTC());
    replica = new BuildReplica(standbyMap, standbySqlite);
    assertEquals(0, replica.follow());

    String id = submit(active);
    active.claim(id, "w1", Instant.now().plusSeconds(10), "warm cache on w1").orElseThrow();
    active.renewLease(id, "w1", Instant.now().plusSeconds(20)).orElseThrow();
    BuildRecord finished = active.finish(id, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();
    String cancelled = submit(active);
    active.cancel(cancelled).orElseThrow();

    Optional<BuildRecord> copy = eventually(() -> standbySqlite.get(id), b -> b.equals(Optional.of(finished)));
    assertEquals(Optional.of(finished), copy, "the standby holds the record exactly as the active one wrote it");
    assertEquals(activeSqlite.get(cancelled), eventually(() -> standbySqlite.get(cancelled),
        b -> b.map(r -> r.state() == BuildState.CANCELLED).orElse(false)));
  }

  @Test
  void standbyJoiningLaterStartsFromTheMapAndFailsLiveBuildsTheClusterDoesNotKnow() throws Exception {
    ReplicatedBuildStore active = open("snapshot", Duration.ofHours(1), Clock.systemUTC());
    String queued = submit(active);
    String running = submit(active);
    active.claim(running, "w1", Instant.now().plusSeconds(10), "only worker").orElseThrow();
    // a build the standby recorded itself before a restart, never replicated
    String stale = standbySqlite.nextId();
    standbySqlite.insert(BuildRecord.queued(stale, "photon-2.0", "bootstrap", Map.of(), BuildPriority.INTERACTIVE,
        "{}", Instant.now()));

    replica = new BuildReplica(standbyMap, standbySqlite);
    assertEquals(2, replica.follow());

    assertEquals(activeSqlite.get(queued), standbySqlite.get(queued));
    assertEquals(activeSqlite.get(running), standbySqlite.get(running));
    BuildRecord retired = standbySqlite.get(stale).orElseThrow();
    assertEquals(BuildState.FAILED, retired.state());
    assertTrue(retired.error().contains("does not know it"), retired.error());
  }

  @Test
  void finishedBuildsLeaveTheMapButStayInTheStandbysHistory() throws Exception {
    ReplicatedBuildStore active = open("ttl", Duration.ofSeconds(1), Clock.systemUTC());
    replica = new BuildReplica(standbyMap, standbySqlite);
    replica.follow();
    String live = submit(active);
    String done = submit(active);
    active.claim(done, "w1", Instant.now().plusSeconds(10), "only worker").orElseThrow();
    active.finish(done, "w1", BuildOutcome.succeeded(List.of(ISO))).orElseThrow();

    assertFalse(eventually(() -> activeMap.containsKey(done), present -> !present), "a final record expires");
    await("a QUEUED record does not expire").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
        .until(() -> activeMap.containsKey(live));
    assertTrue(activeMap.containsKey(live), "a QUEUED record does not expire");
    assertEquals(BuildState.SUCCEEDED, standbySqlite.get(done).orElseThrow().state());
  }

  @Test
  void theMapOutlivesTheActiveMemberAndIdsAfterTheTakeoverSortLast() throws Exception {
    // the standby's clock is an hour behind: its own sequence alone would issue smaller ids
    Clock behind = Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC);
    open("takeover", Duration.ofHours(1), behind);
    // the active coordinator is a third member that dies (terminate: no graceful migration)
    HazelcastInstance doomed = Hazelcast.newHazelcastInstance(config(first.getConfig().getClusterName(), FreePorts.one(),
        first.getCluster().getLocalMember().getAddress().getPort()));
    ReplicatedBuildStore active = new ReplicatedBuildStore(activeSqlite, doomed.getMap("takeover"),
        Duration.ofHours(1));
    replica = new BuildReplica(standbyMap, standbySqlite);
    replica.follow();
    String newest = null;
    for (int i = 0; i < 50; i++) {
      newest = submit(active);
    }
    doomed.getLifecycleService().terminate();

    // the standby copies what the map holds when it takes over, whatever the listener delivered
    assertEquals(50, replica.stopAndCopyAll());
    assertTrue(standbySqlite.get(newest).isPresent());
    String next = standbySqlite.nextId();
    assertTrue(next.compareTo(newest) > 0, next + " must sort after the copied " + newest);
  }
}
