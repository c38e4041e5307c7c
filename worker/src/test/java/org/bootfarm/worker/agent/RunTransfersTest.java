package org.bootfarm.worker.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.testkit.Tripwire;
import org.bootfarm.worker.BuildFailure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker whose farm CA file cannot be trusted does not start, and says which file to check; an assignment that
 * lacks a component its target boots with fails before anything is downloaded.
 */
@Tag("unit")
class RunTransfersTest {

  @Test
  void aCaFileThatIsNoCertificateStopsTheWorkerNamingTheFile(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RunTransfers(
        new ClusterLink(), WorkerAgent.RETRY_BACKOFF, new WorkerLog("w-ca"), "token", List.of(ca)));
    assertTrue(e.getMessage().contains(ca.toString()) && e.getMessage().contains("member directory"), e.getMessage());
  }

  @Test
  void withoutCaFilesTheJdkRootsAreTrusted() {
    new RunTransfers(new ClusterLink(), WorkerAgent.RETRY_BACKOFF, new WorkerLog("w-ca"), "token", List.of());
  }

  @Test
  void anAssignmentLackingARequiredComponentFailsBeforeAnyDownloadNamingIt(@TempDir Path dir) throws Exception {
    RunTransfers transfers = new RunTransfers(new ClusterLink(), WorkerAgent.RETRY_BACKOFF, new WorkerLog("w-c"),
        "token", List.of());
    try (Tripwire store = Tripwire.onFreePort()) {
      Assignment lacking = new Assignment("b1", "debian-12", "bootstrap", Map.of("tether", "ab".repeat(32)), Map.of(),
          "cd".repeat(32), "http://127.0.0.1:" + store.port() + "/api/v1/artifacts", 0, null, null);
      BuildFailure e = assertThrows(BuildFailure.class, () -> transfers.fetchComponents(lacking,
          dir.resolve("components"), System.nanoTime() + 2_000_000_000L));
      assertEquals(BuildFailure.Kind.INPUT, e.kind());
      assertTrue(e.getMessage().contains("lacks component(s) [unpack]") && e.getMessage().contains("nothing was"
          + " downloaded"), e.getMessage());
      assertEquals(0, store.connections(), "not even the component it names was downloaded");
    }
  }
}
