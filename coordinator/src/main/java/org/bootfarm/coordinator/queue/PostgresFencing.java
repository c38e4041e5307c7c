package org.bootfarm.coordinator.queue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The database side of fencing on PostgreSQL (docs/adr/0039): the {@code coordinator_term} row (the current
 * term's epoch and holder) and a statement-level trigger on every table of the store that refuses an INSERT,
 * UPDATE or DELETE whose session's {@code bootfarm.epoch} is not the current epoch. The trigger reads the term row
 * FOR SHARE, so a new term (which updates that row) waits for the writes in flight, and every later write of the
 * old term fails. Installed idempotently at every open, after the migrations, so a table a later migration adds is
 * fenced too.
 */
final class PostgresFencing {
  /** The advisory lock key the active coordinator holds for its term (ASCII "bootfarm" as a 64-bit number). */
  static final long TERM_LOCK = 0x626f6f746661726dL;
  /** The advisory lock key held while migrating, so coordinators starting together migrate one after the other. */
  static final long MIGRATION_LOCK = TERM_LOCK + 1;

  private static final String FUNCTION = """
      CREATE OR REPLACE FUNCTION bootfarm_fence() RETURNS trigger LANGUAGE plpgsql AS $fence$
      DECLARE
        mine TEXT := COALESCE(current_setting('bootfarm.epoch', true), '');
        current_term BIGINT;
        current_holder TEXT;
      BEGIN
        SELECT epoch, holder INTO current_term, current_holder FROM coordinator_term WHERE id = 1 FOR SHARE;
        IF current_term IS NULL OR mine = '' OR mine = '0' OR mine::bigint <> current_term THEN
          RAISE EXCEPTION USING ERRCODE = 'BF001', MESSAGE = CASE
            WHEN mine = '' OR mine = '0' THEN 'this coordinator holds no term (a standby may not write); '
            ELSE format('this coordinator''s term %s ended; ', mine) END
            || CASE WHEN current_term IS NULL THEN 'no term has begun'
              ELSE format('coordinator %s holds term %s', current_holder, current_term) END;
        END IF;
        RETURN NULL;
      END
      $fence$""";

  private PostgresFencing() {
  }

  /** Creates the term table, the fence function and the missing triggers; {@code connection} in auto-commit. */
  static void install(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.executeUpdate("CREATE TABLE IF NOT EXISTS coordinator_term (id INTEGER PRIMARY KEY CHECK (id = 1),"
          + " epoch BIGINT NOT NULL, holder TEXT NOT NULL, began_at BIGINT NOT NULL)");
      statement.executeUpdate(FUNCTION);
      List<String> unfenced = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery("SELECT c.relname FROM pg_class c"
          + " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
          + " WHERE c.relkind = 'r' AND c.relname NOT IN ('schema_version', 'coordinator_term')"
          + " AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'bootfarm_fence')")) {
        while (rows.next()) {
          unfenced.add(rows.getString(1));
        }
      }
      for (String table : unfenced) {
        statement.executeUpdate("CREATE TRIGGER bootfarm_fence BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
            + table + " FOR EACH STATEMENT EXECUTE FUNCTION bootfarm_fence()");
      }
    }
  }
}
