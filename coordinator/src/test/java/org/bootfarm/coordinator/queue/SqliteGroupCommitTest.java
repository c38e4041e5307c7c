package org.bootfarm.coordinator.queue;

import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Tag;

/**
 * The group commit on a SQLite file: a commit is refused by a deferred foreign key, which SQLite checks only at
 * COMMIT, broken by a trigger on the builds of one repo.
 */
@Tag("unit")
class SqliteGroupCommitTest extends GroupCommitTest {
  @Override
  SqlBuildStore reopen() {
    return SqlBuildStore.open(dir.resolve("data/builds.sqlite"), clock);
  }

  @Override
  void refuseCommitsOf(Connection session, String repo) throws Exception {
    try (Statement statement = session.createStatement()) {
      statement.executeUpdate("CREATE TABLE IF NOT EXISTS test_commit_gate_parent (id TEXT PRIMARY KEY)");
      statement.executeUpdate("CREATE TABLE IF NOT EXISTS test_commit_gate (ref TEXT REFERENCES"
          + " test_commit_gate_parent(id) DEFERRABLE INITIALLY DEFERRED)");
      statement.executeUpdate("CREATE TRIGGER IF NOT EXISTS test_refuse_commit AFTER INSERT ON builds"
          + " WHEN NEW.repo = '" + repo + "' BEGIN INSERT INTO test_commit_gate VALUES ('nothing'); END");
    }
  }
}
