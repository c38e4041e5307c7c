package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numbered SQL migrations on real SQLite files: upgrades, refusals and rollback. */
@Tag("unit")
class SchemaMigrationsTest {
  private static final String V1 = "/org/bootfarm/coordinator/queue/migrations-v1";
  private static final String V2 = "/org/bootfarm/coordinator/queue/migrations-v2";

  @TempDir Path dir;

  private Connection database() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("test.sqlite"));
  }

  private static List<String> columns(Connection db, String table) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement statement = db.createStatement();
        ResultSet rows = statement.executeQuery("PRAGMA table_info(" + table + ")")) {
      while (rows.next()) {
        names.add(rows.getString("name"));
      }
    }
    return names;
  }

  @Test
  void newerBootfarmAppliesOnlyTheMigrationsTheDatabaseLacks() throws Exception {
    try (Connection db = database()) {
      assertEquals(List.of(1), new SchemaMigrations(V1).apply(db, "test.sqlite", Clock.systemUTC()));
      try (Statement statement = db.createStatement()) {
        statement.executeUpdate("INSERT INTO notes (id, text) VALUES (1, 'kept across the upgrade')");
      }
      assertEquals(List.of(2), new SchemaMigrations(V2).apply(db, "test.sqlite", Clock.systemUTC()));
      assertEquals(List.of(), new SchemaMigrations(V2).apply(db, "test.sqlite", Clock.systemUTC()));
      assertEquals(List.of("id", "text", "author"), columns(db, "notes"));
      try (Statement statement = db.createStatement();
          ResultSet row = statement.executeQuery("SELECT text FROM notes WHERE id = 1")) {
        assertTrue(row.next());
        assertEquals("kept across the upgrade", row.getString(1));
      }
    }
  }

  @Test
  void databaseWrittenByANewerSchemaIsRefused() throws Exception {
    try (Connection db = database()) {
      new SchemaMigrations(V2).apply(db, "test.sqlite", Clock.systemUTC());
      BuildStoreException refused = assertThrows(BuildStoreException.class,
          () -> new SchemaMigrations(V1).apply(db, "test.sqlite", Clock.systemUTC()));
      assertTrue(refused.getMessage().contains("schema version 2 but this bootfarm knows only up to 1"),
          refused.getMessage());
    }
  }

  @Test
  void migrationEditedAfterItWasAppliedIsRefused() throws Exception {
    try (Connection db = database()) {
      new SchemaMigrations(V1).apply(db, "test.sqlite", Clock.systemUTC());
      BuildStoreException refused = assertThrows(BuildStoreException.class, () -> new SchemaMigrations(
          "/org/bootfarm/coordinator/queue/migrations-v1-edited").apply(db, "test.sqlite", Clock.systemUTC()));
      assertTrue(refused.getMessage().contains("0001.sql was applied with sha256"), refused.getMessage());
      assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    }
  }

  @Test
  void failedMigrationIsRolledBackWhole() throws Exception {
    try (Connection db = database()) {
      BuildStoreException failed = assertThrows(BuildStoreException.class, () -> new SchemaMigrations(
          "/org/bootfarm/coordinator/queue/migrations-broken").apply(db, "test.sqlite", Clock.systemUTC()));
      assertTrue(failed.getMessage().contains("0002.sql failed and was rolled back"), failed.getMessage());
      assertEquals(List.of(), columns(db, "tags"), "the first statement of 0002 was rolled back");
      assertEquals(List.of("id", "text"), columns(db, "notes"), "0001 stays applied");
      assertEquals(List.of(2), new SchemaMigrations(V2).apply(db, "test.sqlite", Clock.systemUTC()));
    }
  }

  @Test
  void statementsAreSplitAtLineEndingSemicolonsWithoutComments() {
    assertEquals(List.of("CREATE TABLE a (x TEXT DEFAULT ';')", "CREATE INDEX a_x ON a (x)"),
        SchemaMigrations.statements("-- a comment; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');\n\n"
            + "CREATE INDEX a_x ON a (x);\n"));
  }

  @Test
  void missingMigrationFolderIsAnError() {
    IllegalStateException missing =
        assertThrows(IllegalStateException.class, () -> new SchemaMigrations("/no/such/migrations"));
    assertTrue(missing.getMessage().contains("/no/such/migrations/0001.sql"), missing.getMessage());
  }
}
