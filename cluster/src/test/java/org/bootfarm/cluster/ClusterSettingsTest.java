package org.bootfarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Join lists and settings are checked before anything starts, and become the Hazelcast config the farm needs. */
@Tag("unit")
class ClusterSettingsTest {
  private static final Path DATA = Path.of("/tmp/bootfarm-data");

  @Test
  void joinListTakesHostPortBareHostsAndIpv6() {
    assertEquals(List.of(new JoinMember("10.0.0.5", 5701), new JoinMember("node-b", 5701),
            new JoinMember("::1", 5801), new JoinMember("127.0.0.1", 6000)),
        JoinMember.parseList("10.0.0.5:5701, node-b,[::1]:5801,127.0.0.1:6000"));
    assertEquals(List.of(), JoinMember.parseList(""));
    assertEquals(List.of(), JoinMember.parseList(null));
    assertEquals("[::1]:5801", new JoinMember("::1", 5801).hazelcastMember());
  }

  @Test
  void joinListErrorsNameTheBadEntry() {
    assertError("10.0.0.5:5701,10.0.0.6:57x1", "--join entry '10.0.0.6:57x1': the port '57x1' is not a number");
    assertError("10.0.0.5:5701-5703", "--join entry '10.0.0.5:5701-5703': port ranges are not supported");
    assertError("10.0.0.5:70000", "--join entry '10.0.0.5:70000': the port 70000 is not in 1..65535");
    assertError("10.0.0.5:0", "--join entry '10.0.0.5:0': the port 0 is not in 1..65535");
    assertError("10.0.0.5:", "--join entry '10.0.0.5:': the port '' is not a number");
    assertError(":5701", "--join entry ':5701': the host is empty");
    assertError("a:1,,b:2", "--join 'a:1,,b:2': entry 2 is empty");
    assertError("a:1,", "--join 'a:1,': entry 2 is empty");
    assertError("::1:5701", "--join entry '::1:5701': more than one ':'; write an IPv6 address as [ADDRESS]:PORT");
    assertError("[::1:5701", "--join entry '[::1:5701': an IPv6 address opened with '[' is never closed");
    assertError("[::1]5701", "--join entry '[::1]5701': after ']' only ':PORT' may follow");
  }

  @Test
  void settingsRefuseValuesHazelcastCannotUse() {
    assertMessage(() -> ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", 0, "", DATA),
        "--cluster-port 0 is not in 1..65535");
    assertMessage(() -> ClusterSettings.of(NodeRole.WORKER, " ", 5701, "", DATA), "--cluster-host is empty");
    ClusterSettings settings = ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", 5701, "", DATA);
    assertMessage(() -> settings.withClusterName(""), "the cluster name is empty");
    assertMessage(() -> settings.withFailureDetection(Duration.ofMillis(500), Duration.ofSeconds(5)),
        "must be whole seconds, at least 1 s");
    assertMessage(() -> settings.withFailureDetection(Duration.ofSeconds(3), Duration.ofSeconds(5)),
        "at least twice the heartbeat interval");
    assertMessage(() -> settings.withEventBusPort(-1), "event-bus port -1 is not in 0..65535");
  }

  @Test
  void workerIsALiteMemberJoiningOnlyTheListedMembersOverTcp() {
    ClusterSettings settings = ClusterSettings.of(NodeRole.WORKER, "127.0.0.1", 5702, "10.0.0.5:5701,10.0.0.6", DATA)
        .withClusterName("farm-a")
        .withFailureDetection(Duration.ofSeconds(2), Duration.ofSeconds(8));
    Config config = ClusterNode.hazelcastConfig(settings, "127.0.0.1");
    assertTrue(config.isLiteMember());
    assertEquals("farm-a", config.getClusterName());
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.5:5701", "10.0.0.6:5701"), join.getTcpIpConfig().getMembers());
    assertEquals(5702, config.getNetworkConfig().getPort());
    assertFalse(config.getNetworkConfig().isPortAutoIncrement());
    assertEquals(List.of("127.0.0.1"), List.copyOf(config.getNetworkConfig().getInterfaces().getInterfaces()));
    assertTrue(config.getNetworkConfig().getInterfaces().isEnabled());
    assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
    assertEquals("false", config.getProperty("hazelcast.socket.bind.any"));
    assertEquals("2", config.getProperty("hazelcast.heartbeat.interval.seconds"));
    assertEquals("8", config.getProperty("hazelcast.max.no.heartbeat.seconds"));
  }

  @Test
  void coordinatorIsADataMemberKeepingVertxMapSettings() {
    Config config = ClusterNode.hazelcastConfig(
        ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", 5701, "", DATA), "127.0.0.1");
    assertFalse(config.isLiteMember());
    assertEquals(1, config.getMultiMapConfig("__vertx.subs").getBackupCount());
    // alone, it lists itself, so it forms a cluster of one that others join
    assertEquals(List.of("127.0.0.1:5701"), config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals("1", config.getProperty("hazelcast.heartbeat.interval.seconds"));
    assertEquals("5", config.getProperty("hazelcast.max.no.heartbeat.seconds"));
  }

  @Test
  void kubernetesDiscoveryJoinsThroughTheHeadlessServiceDnsWithTcpAndMulticastOff() {
    ClusterSettings settings = ClusterSettings.of(NodeRole.WORKER, "10.244.1.7", 5701, "", DATA)
        .withKubernetesDiscovery("bootfarm-hazelcast.bootfarm.svc.cluster.local");
    Config config = ClusterNode.hazelcastConfig(settings, "10.244.1.7");
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("bootfarm-hazelcast.bootfarm.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
    assertEquals("5701", join.getKubernetesConfig().getProperty("service-port"));
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    // DNS-lookup mode: no API-mode keys, so no RBAC is needed
    assertEquals(null, join.getKubernetesConfig().getProperty("service-name"));
    assertEquals(List.of("10.244.1.7"), List.copyOf(config.getNetworkConfig().getInterfaces().getInterfaces()));
    assertTrue(config.isLiteMember());
  }

  @Test
  void kubernetesDiscoveryRefusesAJoinListAndABlankName() {
    ClusterSettings tcp = ClusterSettings.of(NodeRole.WORKER, "10.244.1.7", 5701, "10.0.0.5", DATA);
    assertMessage(() -> tcp.withKubernetesDiscovery("bootfarm-hazelcast"), "exclude each other");
    ClusterSettings none = ClusterSettings.of(NodeRole.WORKER, "10.244.1.7", 5701, "", DATA);
    assertMessage(() -> none.withKubernetesDiscovery(" "), "--kubernetes-service-dns ' ' is not a DNS name");
    assertFalse(none.kubernetesDiscovery());
    assertTrue(none.withKubernetesDiscovery("svc").kubernetesDiscovery());
  }

  private static void assertError(String join, String expected) {
    assertMessage(() -> JoinMember.parseList(join), expected);
  }

  private static void assertMessage(Runnable action, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' lacks '" + expected + "'");
  }
}
