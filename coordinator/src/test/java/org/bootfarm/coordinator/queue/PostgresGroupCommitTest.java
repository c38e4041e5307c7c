package org.bootfarm.coordinator.queue;

import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;

/**
 * The group commit on a real PostgreSQL server (the JVM's shared one), under a term: a commit is refused by a
 * deferred constraint trigger, which runs only at COMMIT, on the builds of one repo. Its failed transactions
 * also show that the epoch, stated once per session, survives a rollback.
 */
@Tag("unit")
class PostgresGroupCommitTest extends GroupCommitTest {
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
    database = null;
  }

  @Override
  void refuseCommitsOf(Connection session, String repo) throws Exception {
    try (Statement statement = session.createStatement()) {
      statement.executeUpdate("CREATE OR REPLACE FUNCTION test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS"
          + " $f$ BEGIN RAISE EXCEPTION 'the test refuses this commit'; END $f$");
      statement.executeUpdate("DROP TRIGGER IF EXISTS test_refuse_commit ON builds");
      statement.executeUpdate("CREATE CONSTRAINT TRIGGER test_refuse_commit AFTER INSERT ON builds DEFERRABLE"
          + " INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.repo = '" + repo + "') EXECUTE FUNCTION test_refuse_commit()");
    }
  }
}
