package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On SQLite the read of the builds no pass has noted yet ({@link SqlBuildStore#unnotedQueued}) goes through the
 * partial index that holds only them, whatever the queue's depth: SQLite's planner, left to itself, took the queue
 * index for its equality on {@code state} and read every QUEUED row, each page again (ADR 0051's read of "the new
 * builds, not the queue" cost the whole queue). Checked on a real store file with SQLite's own query plan, and by
 * what the read returns.
 */
@Tag("unit")
class UnnotedQueuePlanTest {
  @TempDir Path dir;

  @Test
  void theUnnotedReadUsesTheUnnotedIndexOnADeepNotedQueue() throws Exception {
    Path file = dir.resolve("builds.sqlite");
    Clock clock = Clock.systemUTC();
    List<String> unnoted = new ArrayList<>();
    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      Map<String, String> notes = new LinkedHashMap<>();
      List<BuildRecord> builds = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        builds.add(BuildRecord.queued(store.nextId(), "debian-12", "bootstrap", Map.of(), BuildPriority.NIGHTLY, "{}",
            clock.instant()));
      }
      store.insertEach(builds);
      for (int i = 0; i < builds.size(); i++) {
        if (i < 2990) {
          notes.put(builds.get(i).id(), "no live worker runs apt: no worker has joined");
        } else {
          unnoted.add(builds.get(i).id());
        }
      }
      store.notePlacements(notes);
      List<BuildRecord> first = store.unnotedQueued(clock.instant(), null, 4);
      List<BuildRecord> rest = store.unnotedQueued(clock.instant(), first.get(first.size() - 1), 100);
      List<String> read = new ArrayList<>();
      first.forEach(b -> read.add(b.id()));
      rest.forEach(b -> read.add(b.id()));
      assertEquals(unnoted, read, "the unnoted builds, in placement order, page after page");
    }
    try (Connection sql = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      for (boolean after : List.of(false, true)) {
        String plan = plan(sql, "SELECT id FROM builds "
            + SqlBuildStore.unnotedCondition(StoreDatabase.Engine.SQLITE, after), after);
        assertTrue(plan.contains("USING INDEX builds_unnoted"), (after ? "a later page" : "the first page")
            + " reads the queue index instead: " + plan);
      }
    }
  }

  private static String plan(Connection sql, String query, boolean after) throws Exception {
    try (PreparedStatement explain = sql.prepareStatement("EXPLAIN QUERY PLAN " + query)) {
      int i = 0;
      explain.setLong(++i, Instant.now().toEpochMilli());
      if (after) {
        explain.setInt(++i, 100);
        explain.setInt(++i, 100);
        explain.setString(++i, "0");
      }
      explain.setInt(++i, 500);
      StringBuilder text = new StringBuilder();
      try (ResultSet rows = explain.executeQuery()) {
        while (rows.next()) {
          text.append(rows.getString("detail")).append("; ");
        }
      }
      return text.toString();
    }
  }
}
