package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bootfarm.cluster.identity.FarmCa;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's own flags are checked before it joins any cluster: a {@code --worker-id} that cannot be
 * an address and a {@code --package-managers} entry this machine cannot run stop the start with an
 * error that says what to give instead, and leave no worker id behind.
 */
@Tag("unit")
class WorkerFlagsTest {
  @TempDir Path dir;

  @Test
  void workerIdWithASpaceIsRefusedBeforeJoining() throws Exception {
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.toString(), "--worker-id", "build 7",
        "--join", "127.0.0.1:1", "--farm-ca", farmCa().toString());
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("--worker-id 'build 7'") && run.stderr.contains("letters, digits"), run::toString);
  }

  @Test
  void packageManagerTheWorkerCannotRunIsRefusedNamingTheOnesItCan() throws Exception {
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.toString(), "--package-managers", "apt,pacman",
        "--join", "127.0.0.1:1", "--farm-ca", farmCa().toString());
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("cannot run pacman"), run::toString);
    assertTrue(run.stderr.contains("it can run") && run.stderr.contains("tdnf"), run::toString);
    assertFalse(run.stderr.contains("cannot run apt"), run::toString);
    assertTrue(Files.exists(dir.resolve("worker-id")), "the id was kept before the flags failed: " + run);
  }

  /** A CA with its key on this machine, from which the worker issues itself a certificate. */
  private Path farmCa() throws Exception {
    return FarmCa.loadOrInit(dir.resolve("farm-ca"), "test").dir();
  }

  @Test
  void workerWithoutATokenFileIsRefusedNamingTheFlagAndWhereTheTokenIs() throws Exception {
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.toString(), "--join", "127.0.0.1:1", "--farm-ca",
        farmCa().toString());
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("--token-file FILE (or BOOTFARM_TOKEN_FILE)")
        && run.stderr.contains("access-tokens"), run::toString);
  }

  @Test
  void noActionCacheIsAWorkerFlag() throws Exception {
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.toString(), "--no-action-cache", "--join",
        "127.0.0.1:1", "--farm-ca", farmCa().toString());
    assertEquals(1, run.exitCode, run::toString);
    assertFalse(run.stderr.contains("Unknown option"), run::toString);
    assertTrue(run.stderr.contains("--token-file FILE (or BOOTFARM_TOKEN_FILE)"), "parsed, then refused as without it: "
        + run);
  }

  @Test
  void anEmptyOrMissingTokenFileIsRefusedNamingIt() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty-token"), "\n# nothing\n");
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.toString(), "--join", "127.0.0.1:1",
        "--token-file", empty.toString(), "--farm-ca", farmCa().toString());
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("--token-file " + empty + " is empty"), run::toString);
    CliRun missing = CliRun.inProcess("worker", "--data-dir", dir.toString(), "--join", "127.0.0.1:1",
        "--token-file", dir.resolve("absent").toString(), "--farm-ca", farmCa().toString());
    assertEquals(1, missing.exitCode, missing::toString);
    assertTrue(missing.stderr.contains("--token-file " + dir.resolve("absent") + " cannot be read"), missing::toString);
  }
}
