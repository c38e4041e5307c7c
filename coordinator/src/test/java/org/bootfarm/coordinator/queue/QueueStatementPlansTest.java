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
import java.util.function.IntFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On SQLite the statements a placing pass runs for each page of the queue cost the page, not the queue's depth.
 * SQLite's planner, left to itself, took the queue index for its equality on {@code state} and read every QUEUED row:
 * for the builds no pass has noted yet ({@link SqlBuildStore#unnotedQueued}: ADR 0051's read of "the new builds, not
 * the queue" cost the whole queue), for each page's notes ({@link SqlBuildStore#notePlacements}), and, through a
 * condition it could not seek on, for each later page of a walk ({@link SqlBuildStore#nextQueuedAfter}). With
 * 170,000 queued builds and no worker, that held submissions to 1,500 a second (issue 17). Checked on a real store
 * file with SQLite's own query plan, and by what the reads return and the notes write.
 */
@Tag("unit")
class QueueStatementPlansTest {
  @TempDir Path dir;

  @Test
  void theUnnotedReadUsesTheUnnotedIndexOnADeepNotedQueue() throws Exception {
    Path file = dir.resolve("builds.sqlite");
    Clock clock = Clock.systemUTC();
    List<String> unnoted = new ArrayList<>();
    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      Map<String, String> notes = new LinkedHashMap<>();
      List<BuildRecord> builds = queued(store, clock, 3000, i -> BuildPriority.NIGHTLY);
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
        if (after) {
          assertTrue(plan.contains("(priority,id)>(?,?)"), "a later page seeks to where the last ended: " + plan);
        }
      }
    }
  }

  @Test
  void aWalkOfTheQueueSeeksToEachPageAcrossPriorities() throws Exception {
    Path file = dir.resolve("builds.sqlite");
    Clock clock = Clock.systemUTC();
    List<String> expected = new ArrayList<>();
    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      // submitted interleaved: the walk gives all interactive ones first, by id
      List<BuildRecord> submitted = queued(store, clock, 30,
          i -> i % 3 == 0 ? BuildPriority.NIGHTLY : BuildPriority.INTERACTIVE);
      List<BuildRecord> all = new ArrayList<>(submitted.stream()
          .filter(b -> b.priority() == BuildPriority.INTERACTIVE).toList());
      all.addAll(submitted.stream().filter(b -> b.priority() == BuildPriority.NIGHTLY).toList());
      store.insertEach(all);
      all.forEach(b -> expected.add(b.id()));
      List<String> walked = new ArrayList<>();
      List<BuildRecord> page = store.nextQueued(clock.instant(), 7);
      while (!page.isEmpty()) {
        page.forEach(b -> walked.add(b.id()));
        page = store.nextQueuedAfter(clock.instant(), page.get(page.size() - 1), 7);
      }
      assertEquals(expected, walked, "every queued build once, interactive before nightly, by id, page after page");
    }
    try (Connection sql = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      String plan = plan(sql, "SELECT id FROM builds " + SqlBuildStore.QUEUE_AFTER, true);
      assertTrue(plan.contains("USING INDEX builds_queue (state=? AND (priority,id)>(?,?))"),
          "a later page seeks to where the last ended instead of reading the queue from its start: " + plan);
    }
  }

  @Test
  void notesAreWrittenThroughThePrimaryKeyOnADeepQueue() throws Exception {
    Path file = dir.resolve("builds.sqlite");
    Clock clock = Clock.systemUTC();
    try (SqlBuildStore store = SqlBuildStore.open(file, clock)) {
      List<BuildRecord> builds = queued(store, clock, 200, i -> BuildPriority.INTERACTIVE);
      store.insertEach(builds);
      BuildRecord running = builds.get(1);
      store.claim(running.id(), "worker-1", clock.instant().plusSeconds(60), "warm");
      Map<String, String> notes = new LinkedHashMap<>();
      builds.subList(0, 3).forEach(b -> notes.put(b.id(), "no live worker runs apt: no worker has joined"));
      assertEquals(2, store.notePlacements(notes), "a note is only for a build still QUEUED");
      assertEquals("warm", store.get(running.id()).orElseThrow().placement(), "the running build keeps its placement");
      assertEquals("no live worker runs apt: no worker has joined", store.get(builds.get(0).id()).orElseThrow()
          .placement());
    }
    try (Connection sql = DriverManager.getConnection("jdbc:sqlite:" + file);
        PreparedStatement explain = sql.prepareStatement("EXPLAIN QUERY PLAN "
            + SqlBuildStore.notePlacementsStatement(StoreDatabase.Engine.SQLITE, 64))) {
      for (int i = 1; i <= 65; i++) {
        explain.setString(i, "0");
      }
      String plan = planOf(explain);
      assertTrue(plan.contains("(id=?)") && !plan.contains("builds_queue"),
          "a page's notes look each build up by id instead of reading every QUEUED row: " + plan);
    }
  }

  private static String plan(Connection sql, String query, boolean after) throws Exception {
    try (PreparedStatement explain = sql.prepareStatement("EXPLAIN QUERY PLAN " + query)) {
      int i = 0;
      explain.setLong(++i, Instant.now().toEpochMilli());
      if (after) {
        explain.setInt(++i, 100);
        explain.setString(++i, "0");
      }
      explain.setInt(++i, 500);
      return planOf(explain);
    }
  }

  /** SQLite's query plan of {@code explain}, an {@code EXPLAIN QUERY PLAN} statement with its parameters bound. */
  private static String planOf(PreparedStatement explain) throws Exception {
    StringBuilder text = new StringBuilder();
    try (ResultSet rows = explain.executeQuery()) {
      while (rows.next()) {
        text.append(rows.getString("detail")).append("; ");
      }
    }
    return text.toString();
  }

  /** {@code count} QUEUED records of debian-12, the i-th of priority {@code priority.apply(i)}, not stored yet. */
  private static List<BuildRecord> queued(SqlBuildStore store, Clock clock, int count,
      IntFunction<BuildPriority> priority) {
    List<BuildRecord> builds = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      builds.add(BuildRecord.queued(store.nextId(), "debian-12", "bootstrap", Map.of(), priority.apply(i), "{}",
          clock.instant()));
    }
    return builds;
  }
}
