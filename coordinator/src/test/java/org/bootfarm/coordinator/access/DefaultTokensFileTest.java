package org.bootfarm.coordinator.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file a coordinator makes for itself: a local admin and a workers client, and older files brought along. */
@Tag("unit")
class DefaultTokensFileTest {
  @TempDir Path dir;

  @Test
  void firstStartMakesALocalAdminAndAWorkersClientReadableByTheOwnerOnly() throws Exception {
    Path file = DefaultTokensFile.prepare(dir);
    assertEquals(dir.resolve("access-tokens"), file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    AccessTokens tokens = AccessTokens.read(file);
    String local = DefaultTokensFile.tokenOf(file, "local").orElseThrow();
    String workers = DefaultTokensFile.tokenOf(file, "workers").orElseThrow();
    assertEquals(Optional.of(Caller.ofToken("local", AccessRole.ADMIN)), tokens.callerOf(local));
    assertEquals(Optional.of(Caller.ofToken("workers", AccessRole.SUBMIT)), tokens.callerOf(workers));
    assertEquals(workers, Files.readString(dir.resolve("workers-token")).strip(),
        "the workers token alone, for a worker's --token-file");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("workers-token"))));
    String before = Files.readString(file);
    DefaultTokensFile.prepare(dir);
    assertEquals(before, Files.readString(file), "a second start changes nothing");
  }

  @Test
  void anOlderBridgeTokensFileIsMovedAndItsLocalLineBecomesAdmin() throws Exception {
    Files.writeString(dir.resolve("bridge-tokens"), "# old\nlocal local-0123456789abcdef\nci ci-0123456789abcdef\n");
    Path file = DefaultTokensFile.prepare(dir);
    assertFalse(Files.exists(dir.resolve("bridge-tokens")));
    AccessTokens tokens = AccessTokens.read(file);
    assertEquals(Optional.of(Caller.ofToken("local", AccessRole.ADMIN)), tokens.callerOf("local-0123456789abcdef"));
    assertEquals(Optional.of(Caller.ofToken("ci", AccessRole.SUBMIT)), tokens.callerOf("ci-0123456789abcdef"),
        "a line the operator wrote keeps the role it had");
    assertTrue(DefaultTokensFile.tokenOf(file, "workers").isPresent(), "a workers client is added");
    assertTrue(Files.readString(file).startsWith("# old\n"), "comments stay");
  }
}
