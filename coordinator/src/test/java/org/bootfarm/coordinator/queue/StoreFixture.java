package org.bootfarm.coordinator.queue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.cluster.identity.SignedRecords;
import org.bootfarm.testkit.PostgresServer;

/**
 * The database a store test runs on, one engine each: a SQLite file, or a database of the JVM's shared PostgreSQL
 * server, emptied for each test, where the stores write under a term begun at the first open (an active
 * coordinator's). Opening again within a test opens the same database.
 */
public abstract class StoreFixture implements AutoCloseable {
  /** The database, the same object within a test (it carries the term's epoch on PostgreSQL). */
  public abstract StoreDatabase database();

  /** The build store, schema applied; on PostgreSQL, its writes under a term. */
  public SqlBuildStore openBuilds(Clock clock) {
    SqlBuildStore store = SqlBuildStore.open(database(), clock);
    opened(clock);
    return store;
  }

  /** The nightly store of the same database, without a cluster map. */
  public NightlyStore openNightly() {
    return NightlyStore.open(database());
  }

  void opened(Clock clock) {
  }

  @Override
  public void close() {
  }

  /** A SQLite file (the coordinator's default store). */
  public static StoreFixture sqlite(Path file) {
    StoreDatabase database = StoreDatabase.sqlite(file);
    return new StoreFixture() {
      @Override
      public StoreDatabase database() {
        return database;
      }
    };
  }

  /**
   * A database of the shared PostgreSQL server named {@code name} (one per test class), created at its first use
   * and emptied at each later one.
   */
  public static StoreFixture postgres(String name) {
    PostgresServer server = PostgresServer.shared();
    String database = Created.database(server, name);
    StoreDatabase shared = StoreDatabase.postgresql(server.storeUrl(database), null);
    return new StoreFixture() {
      private StoreTerm term;

      @Override
      public StoreDatabase database() {
        return shared;
      }

      @Override
      void opened(Clock clock) {
        if (term == null) {
          term = StoreTerm.tryBegin(shared, "test", clock).orElseThrow();
        }
      }

      @Override
      public void close() {
        if (term != null) {
          term.close();
        }
      }
    };
  }

  /** The per-class databases made so far in this JVM, by the name the class gave. */
  private static final class Created {
    private static final java.util.Map<String, String> DATABASES = new java.util.HashMap<>();

    static synchronized String database(PostgresServer server, String name) {
      String database = DATABASES.get(name);
      if (database == null) {
        database = server.createDatabase();
        DATABASES.put(name, database);
      } else {
        empty(server, database);
      }
      return database;
    }

    /** Deletes every row but the schema's and the term's, past the fence (as superuser, triggers off). */
    private static void empty(PostgresServer server, String name) {
      try (Connection db = server.connect(name); Statement statement = db.createStatement()) {
        try (java.sql.ResultSet migrated = statement.executeQuery("SELECT to_regclass('builds') IS NOT NULL")) {
          if (!migrated.next() || !migrated.getBoolean(1)) {
            return; // no store was opened on it yet
          }
        }
        statement.execute("SET session_replication_role = replica");
        statement.execute("TRUNCATE builds, build_components, build_artifacts, build_inputs, nightly_runs,"
            + " reproducibility_pairs");
      } catch (SQLException e) {
        throw new IllegalStateException("cannot empty database " + name + ": " + e.getMessage(), e);
      }
    }
  }
}
