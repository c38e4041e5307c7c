package org.bootfarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clustered client is a lite member like a worker, but the membership view reports it as a CLIENT,
 * so a coordinator never takes it for a worker (places builds on it, or expires leases when it leaves).
 */
@Tag("unit")
class ClientMemberTest {
  @TempDir Path dir;

  @Test
  void clientJoinsAsALiteMemberSeenAsClientNotWorker() throws Exception {
    int port = FreePorts.one();
    String name = "bootfarm-client-member-" + ProcessHandle.current().pid();
    try (ClusterNode coordinator = ClusterNode.start(ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", port, "",
            dir.resolve("coordinator")).withClusterName(name));
        ClusterNode client = ClusterNode.start(ClusterSettings.of(NodeRole.CLIENT, "127.0.0.1", FreePorts.one(),
            "127.0.0.1:" + port, dir.resolve("client")).withClusterName(name))) {
      assertEquals(List.of(), coordinator.membership().workers(), "a client is no worker");
      assertEquals(List.of(NodeRole.COORDINATOR, NodeRole.CLIENT),
          coordinator.membership().members().stream().map(ClusterMember::role).toList());
      assertEquals(client.nodeId(), coordinator.membership().members().get(1).nodeId());
      assertEquals(List.of(coordinator.nodeId()),
          client.membership().coordinators().stream().map(ClusterMember::nodeId).toList());
    }
  }
}
