package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bootfarm.protocol.api.v1.BuildState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The build store on real SQLite files: the contract, and what the file adds (its lock, kill -9, migrations). */
@Tag("unit")
class SqliteBuildStoreTest extends BuildStoreTest {

  @Override
  SqlBuildStore reopen() {
    return SqlBuildStore.open(dir.resolve("data/builds.sqlite"), clock);
  }

  @Test
  void migrationsAreAppliedOnceAndReopeningChangesNothing() throws Exception {
    Path file = dir.resolve("data/builds.sqlite");
    int latest = new SchemaMigrations(SchemaMigrations.BUILD_STORE).latestVersion();
    List<Integer> all = new ArrayList<>();
    for (int v = 1; v <= latest; v++) {
      all.add(v);
    }
    assertEquals(all, store.migrationsApplied());
    String id = submit();
    store.close();
    store = SqlBuildStore.open(file, clock);
    assertEquals(List.of(), store.migrationsApplied());
    assertTrue(store.get(id).isPresent());
    store.close();
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement statement = db.createStatement();
        ResultSet row = statement.executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version")) {
      assertTrue(row.next());
      assertEquals(latest, row.getInt(1));
      assertEquals(latest, row.getInt(2));
    }
    store = SqlBuildStore.open(file, clock);
  }

  @Test
  void secondStoreOnTheSameFileIsRefusedWithAMessageThatSaysWhy() {
    BuildStoreException refused = assertThrows(BuildStoreException.class,
        () -> reopen());
    assertTrue(refused.getMessage().contains("in use by another coordinator"), refused.getMessage());
    assertTrue(refused.getMessage().contains("builds.sqlite"), refused.getMessage());
    submit(); // the first store is unaffected
  }


  /**
   * A child JVM inserts builds and prints each id once insert returned; it is killed with SIGKILL
   * (Process.destroyForcibly) while still inserting. Every id it printed must be in the file, and the
   * kernel has released its lock, so the file opens again at once.
   */
  @Test
  @Tag("process")
  void buildsReportedInsertedSurviveKillMinus9() throws Exception {
    store.close();
    Path file = dir.resolve("data/builds.sqlite");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), InsertingProcess.class.getName(), file.toString(), "100000")
        .redirectError(dir.resolve("child.err").toFile())
        .start();
    List<String> printed = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; printed.size() < 25 && (line = out.readLine()) != null; ) {
        printed.add(line);
      }
      // a second coordinator (this JVM) cannot open the file the child holds
      BuildStoreException busy = assertThrows(BuildStoreException.class, () -> SqlBuildStore.open(file, clock));
      assertTrue(busy.getMessage().contains("in use by another coordinator"), busy.getMessage());
      child.destroyForcibly(); // SIGKILL, mid-insert: it is still inserting
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    }
    assertEquals(25, printed.size(), "the child printed fewer ids than expected; see " + dir.resolve("child.err"));
    assertEquals(137, child.exitValue(), "killed by SIGKILL");

    store = SqlBuildStore.open(file, clock);
    for (String id : printed) {
      assertEquals(BuildState.QUEUED, store.get(id).map(BuildRecord::state).orElse(null), id + " lost");
    }
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement statement = db.createStatement();
        ResultSet check = statement.executeQuery("PRAGMA integrity_check")) {
      assertTrue(check.next());
      assertEquals("ok", check.getString(1));
    }
    assertFalse(store.list(BuildFilter.newest(1)).isEmpty());
  }
}
