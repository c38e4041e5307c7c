package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --store} and where its password comes from: a file or the environment, never the command line. */
@Tag("unit")
class StoreFlagsTest {
  @TempDir Path dir;

  @Test
  void theCoordinatorCommandTakesTheStoreFlags() {
    FarmCommands.Coordinator coordinator = new FarmCommands.Coordinator();
    new picocli.CommandLine(coordinator).parseArgs("--store", "postgresql://db/bootfarm?user=b",
        "--store-password-file", "/etc/bootfarm/store-password");
    assertEquals("postgresql://db/bootfarm?user=b", coordinator.options.store.url);
    assertEquals(Path.of("/etc/bootfarm/store-password"), coordinator.options.store.passwordFile);
  }

  @Test
  void withoutStoreTheCoordinatorKeepsSqliteInItsDataDir() {
    assertNull(new StoreFlags(null, null, Map.of()).database());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> new StoreFlags(null, dir.resolve("password"), Map.of()).database());
    assertTrue(refused.getMessage().contains("--store-password-file is for --store"), refused.getMessage());
  }

  @Test
  void aStoreUrlNamesPostgresqlWithThePasswordFromTheFileOrTheEnvironment() throws Exception {
    Path file = Files.writeString(dir.resolve("password"), "s3cret\n");
    StoreDatabase fromFile = new StoreFlags("postgresql://db:5432/bootfarm?user=bootfarm", file,
        Map.of(StoreFlags.PASSWORD_ENV, "other")).database();
    assertEquals(StoreDatabase.Engine.POSTGRESQL, fromFile.engine());
    assertEquals("postgresql://db:5432/bootfarm", fromFile.name());
    assertEquals(StoreDatabase.Engine.POSTGRESQL, new StoreFlags("postgresql://db/bootfarm?user=b", null,
        Map.of(StoreFlags.PASSWORD_ENV, "s3cret")).database().engine());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> new StoreFlags(
        "postgresql://db/bootfarm?user=b", Files.writeString(dir.resolve("empty"), ""), Map.of()).database());
    assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());
  }

  @Test
  void aPasswordOnTheCommandLineIsRefusedWithoutRepeatingIt() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> new StoreFlags("postgresql://bootfarm:s3cret@db:5432/bootfarm", null, Map.of()).database());
    assertTrue(refused.getMessage().contains("--store-password-file FILE or the environment variable"
        + " BOOTFARM_STORE_PASSWORD"), refused.getMessage());
    assertFalse(refused.getMessage().contains("s3cret"), refused.getMessage());
  }
}
