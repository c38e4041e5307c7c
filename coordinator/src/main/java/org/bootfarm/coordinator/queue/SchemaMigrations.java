package org.bootfarm.coordinator.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.protocol.Sha256;

/**
 * Brings a database to the newest schema with numbered SQL resources ({@code 0001.sql},
 * {@code 0002.sql}, ... in one resource folder, read until the first missing number), each applied
 * once, in its own transaction, and recorded in {@code schema_version} with its sha256. Migrations
 * are append-only: one that changed after it was applied, or a database newer than the resources,
 * is refused rather than guessed at. The scripts are written once for both engines; PostgreSQL runs them with
 * their column types mapped ({@link StoreDatabase.Engine#schemaSql}), and the recorded sha256 is that of the
 * script as written, so one script has one hash on either engine.
 */
public final class SchemaMigrations {
  /** The folder of the build store's migrations. */
  public static final String BUILD_STORE = "/org/bootfarm/coordinator/queue/migrations";

  private final String folder;
  private final List<String> scripts;

  /** The migrations in a classpath folder such as {@link #BUILD_STORE}. */
  public SchemaMigrations(String folder) {
    this.folder = folder;
    this.scripts = load(folder);
    if (scripts.isEmpty()) {
      throw new IllegalStateException("no migration " + folder + "/0001.sql on the classpath");
    }
  }

  /** The schema version these migrations end at. */
  public int latestVersion() {
    return scripts.size();
  }

  /**
   * Applies every migration the database has not seen; returns the versions applied now (empty when
   * it was up to date). {@code connection} must be in auto-commit mode.
   */
  public List<Integer> apply(Connection connection, String databaseName, Clock clock) throws SQLException {
    return apply(connection, databaseName, clock, StoreDatabase.Engine.SQLITE);
  }

  /** {@link #apply(Connection, String, Clock)} on a database of {@code engine}. */
  public List<Integer> apply(Connection connection, String databaseName, Clock clock, StoreDatabase.Engine engine)
      throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.executeUpdate(engine.schemaSql("CREATE TABLE IF NOT EXISTS schema_version ("
          + "version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
    }
    List<String> applied = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT version, sha256 FROM schema_version ORDER BY version")) {
      while (rows.next()) {
        int version = rows.getInt(1);
        if (version != applied.size() + 1) {
          throw new BuildStoreException(databaseName + ": schema_version skips from " + applied.size() + " to "
              + version + "; the database was changed by hand: restore it from a backup");
        }
        applied.add(rows.getString(2));
      }
    }
    if (applied.size() > scripts.size()) {
      throw new BuildStoreException(databaseName + " is at schema version " + applied.size()
          + " but this bootfarm knows only up to " + scripts.size()
          + ": run a bootfarm at least as new as the one that last wrote it");
    }
    for (int i = 0; i < applied.size(); i++) {
      String expected = Sha256.of(scripts.get(i).getBytes(StandardCharsets.UTF_8));
      if (!expected.equals(applied.get(i))) {
        throw new BuildStoreException(databaseName + ": migration " + name(i + 1) + " was applied with sha256 "
            + applied.get(i) + " but is now " + expected
            + "; migrations are append-only: restore the old file and add the change as a new number");
      }
    }
    List<Integer> now = new ArrayList<>();
    for (int version = applied.size() + 1; version <= scripts.size(); version++) {
      applyOne(connection, version, clock, engine);
      now.add(version);
    }
    return now;
  }

  private void applyOne(Connection connection, int version, Clock clock, StoreDatabase.Engine engine)
      throws SQLException {
    String script = scripts.get(version - 1);
    connection.setAutoCommit(false);
    try {
      try (Statement statement = connection.createStatement()) {
        for (String sql : statements(script)) {
          statement.executeUpdate(engine.schemaSql(sql));
        }
      }
      try (PreparedStatement insert =
          connection.prepareStatement("INSERT INTO schema_version (version, sha256, applied_at) VALUES (?, ?, ?)")) {
        insert.setInt(1, version);
        insert.setString(2, Sha256.of(script.getBytes(StandardCharsets.UTF_8)));
        insert.setLong(3, clock.millis());
        insert.executeUpdate();
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw new BuildStoreException("migration " + name(version) + " failed and was rolled back: " + e.getMessage(), e);
    } finally {
      connection.setAutoCommit(true);
    }
  }

  /** The script's statements: split at semicolons that end a line, with {@code --} comment lines dropped. */
  static List<String> statements(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("--") || trimmed.isEmpty()) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        statements.add(current.toString().strip().replaceFirst(";$", ""));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      throw new IllegalStateException("the last statement of a migration does not end with ';': " + current);
    }
    return statements;
  }

  private String name(int version) {
    return folder + "/" + String.format("%04d.sql", version);
  }

  private static List<String> load(String folder) {
    List<String> scripts = new ArrayList<>();
    for (int version = 1; ; version++) {
      String resource = folder + "/" + String.format("%04d.sql", version);
      try (InputStream in = SchemaMigrations.class.getResourceAsStream(resource)) {
        if (in == null) {
          return scripts;
        }
        scripts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read migration " + resource + ": " + e.getMessage(), e);
      }
    }
  }
}
