package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.testkit.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The build store on a real PostgreSQL server (the JVM's shared one; one database for the class, emptied before
 * each test): the same contract as on SQLite, and the schema as PostgreSQL keeps it.
 */
@Tag("unit")
class PostgresBuildStoreTest extends BuildStoreTest {
  private StoreFixture database;

  @Override
  SqlBuildStore reopen() {
    if (database == null) {
      database = StoreFixture.postgres(getClass().getSimpleName());
    }
    return database.openBuilds(clock);
  }

  @AfterEach
  void endTerm() {
    database.close();
  }

  @Test
  void migrationsAreAppliedOnceWithInstantsAsBigintAndTheScriptsHashes() throws Exception {
    store.close();
    PostgresServer server = PostgresServer.shared();
    String fresh = server.createDatabase(); // the class's database was migrated by its first test
    StoreDatabase db = StoreDatabase.postgresql(server.storeUrl(fresh), null);
    store = SqlBuildStore.open(db, clock);
    int latest = new SchemaMigrations(SchemaMigrations.BUILD_STORE).latestVersion();
    List<Integer> all = new ArrayList<>();
    for (int v = 1; v <= latest; v++) {
      all.add(v);
    }
    assertEquals(all, store.migrationsApplied());
    store.close();
    store = SqlBuildStore.open(db, clock);
    assertEquals(List.of(), store.migrationsApplied());
    try (Connection connection = server.connect(fresh); Statement statement = connection.createStatement()) {
      try (ResultSet row = statement.executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version")) {
        assertTrue(row.next());
        assertEquals(latest, row.getInt(1));
        assertEquals(latest, row.getInt(2));
      }
      try (ResultSet type = statement.executeQuery("SELECT data_type FROM information_schema.columns"
          + " WHERE table_name = 'builds' AND column_name = 'submitted_at'")) {
        assertTrue(type.next());
        assertEquals("bigint", type.getString(1), "milliseconds since the epoch do not fit 32 bits");
      }
    }
  }

  @Test
  void severalHostsAreOneStoreAndItsNameKeepsNoParameters() {
    assertEquals("postgresql://db1:5432,db2:5432/bootfarm", StoreDatabase.postgresql(
        "postgresql://db1:5432,db2:5432/bootfarm?user=bootfarm&targetServerType=primary", null).name());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> StoreDatabase.postgresql("mysql://db1/bootfarm", null));
    assertTrue(refused.getMessage().contains("postgresql://HOST:PORT/DB?user=USER"), refused.getMessage());
  }

  @Test
  void aPasswordInTheUrlIsRefusedSayingWhereToPutIt() {
    for (String url : List.of("postgresql://bootfarm:secret@127.0.0.1:5432/bootfarm",
        "postgresql://127.0.0.1:5432/bootfarm?user=bootfarm&password=secret")) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> StoreDatabase.postgresql(url, null));
      assertTrue(refused.getMessage().contains("--store-password-file"), refused.getMessage());
      assertTrue(refused.getMessage().contains("BOOTFARM_STORE_PASSWORD"), refused.getMessage());
      assertTrue(!refused.getMessage().contains("secret"), "the password is not repeated: " + refused.getMessage());
    }
  }
}
