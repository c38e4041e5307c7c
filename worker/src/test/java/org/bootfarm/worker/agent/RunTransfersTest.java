package org.bootfarm.worker.agent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker whose farm CA file cannot be trusted does not start, and says which file to check. */
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
}
