package org.bootfarm.coordinator.nightly;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.queue.BuildStoreException;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The durable record of nightly runs and reproducibility pairs, in the build store's database, SQLite or
 * PostgreSQL (tables of migration 0003, which {@code SqlBuildStore.open} applies: open that first; on PostgreSQL
 * every write carries the coordinator's term like the build store's, docs/adr/0039). A run is recorded before
 * any of its builds is submitted, keyed by its scheduled instant (UNIQUE), so a scheduled instant runs once: on
 * the shared store, whichever coordinator is active then (ADR 0022).
 */
public final class NightlyStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(NightlyStore.class.getName());

  private final StoreDatabase database;
  private final Connection connection;

  private NightlyStore(StoreDatabase database, Connection connection) {
    this.database = database;
    this.connection = connection;
  }

  /** Opens the nightly tables of the SQLite build store file {@code file} (opened first by {@code SqlBuildStore.open}). */
  public static NightlyStore open(Path file) {
    return open(StoreDatabase.sqlite(file));
  }

  /** The nightly tables of the build store in {@code database}, opened and migrated by {@code SqlBuildStore.open}. */
  public static NightlyStore open(StoreDatabase database) {
    try {
      Connection connection = database.connect();
      try (ResultSet table = connection.getMetaData().getTables(null, null, "nightly_runs", null)) {
        if (!table.next()) {
          connection.close();
          throw new BuildStoreException(database.name() + " has no nightly_runs table: open it with"
              + " SqlBuildStore.open first, which applies migration 0003");
        }
      }
      return new NightlyStore(database, connection);
    } catch (SQLException e) {
      throw database.failure("open the nightly tables", e);
    }
  }

  /**
   * Records a new run (without its pairs). Returns false, changing nothing, when a run with that id or
   * (for a scheduled run) that scheduled instant is already recorded.
   */
  public synchronized boolean insertRun(NightlyReport run) {
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO nightly_runs (id, scheduled_for,"
        + " started_at, finished_at, record) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      database.fence(connection);
      bindRun(insert, run);
      if (insert.executeUpdate() == 0) {
        return false;
      }
    } catch (SQLException e) {
      throw failure("record nightly run " + run.id(), e);
    }
    return true;
  }

  /** Writes a run as it is now (inserted or replaced). */
  public synchronized void putRun(NightlyReport run) {
    try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO nightly_runs (id, scheduled_for,"
        + " started_at, finished_at, record) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        + " scheduled_for = excluded.scheduled_for, started_at = excluded.started_at,"
        + " finished_at = excluded.finished_at, record = excluded.record")) {
      database.fence(connection);
      bindRun(upsert, run);
      upsert.executeUpdate();
    } catch (SQLException e) {
      throw failure("record nightly run " + run.id(), e);
    }
  }

  /** Writes a pair as it is now (inserted or replaced). */
  public synchronized void putPair(ReproducibilityPair pair) {
    try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO reproducibility_pairs (id, run_id,"
        + " created_at, judged_at, record, attestation_sha256) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
        + " SET run_id = excluded.run_id, created_at = excluded.created_at, judged_at = excluded.judged_at,"
        + " record = excluded.record, attestation_sha256 = excluded.attestation_sha256")) {
      database.fence(connection);
      upsert.setString(1, pair.id());
      upsert.setString(2, pair.run());
      upsert.setLong(3, Instant.parse(pair.createdAt()).toEpochMilli());
      setInstant(upsert, 4, pair.judgedAt());
      upsert.setString(5, WireJson.write(pair));
      upsert.setString(6, pair.attestation() == null ? null : pair.attestation().sha256());
      upsert.executeUpdate();
    } catch (SQLException e) {
      throw failure("record reproducibility pair " + pair.id(), e);
    }
  }

  /** The run without its pairs. */
  public synchronized Optional<NightlyReport> run(String id) {
    List<NightlyReport> runs = runs("SELECT record FROM nightly_runs WHERE id = ?", id, 1);
    return runs.stream().findFirst();
  }

  /** The run with its pairs, by repo and target. */
  public synchronized Optional<NightlyReport> report(String id) {
    return run(id).map(run -> run.withPairs(pairsOf(id)));
  }

  /** The newest runs (by start), without their pairs. */
  public synchronized List<NightlyReport> runs(int limit) {
    return runs("SELECT record FROM nightly_runs ORDER BY started_at DESC, id DESC LIMIT ?", null, limit);
  }

  /** Whether a run for the scheduled instant is recorded. */
  public synchronized boolean hasScheduled(Instant scheduledFor) {
    try (PreparedStatement query = connection.prepareStatement(
        "SELECT 1 FROM nightly_runs WHERE scheduled_for = ?")) {
      query.setLong(1, scheduledFor.toEpochMilli());
      try (ResultSet row = query.executeQuery()) {
        return row.next();
      }
    } catch (SQLException e) {
      throw failure("read nightly runs", e);
    }
  }

  /** Runs not finished yet, oldest first, without their pairs. */
  public synchronized List<NightlyReport> openRuns() {
    return runs("SELECT record FROM nightly_runs WHERE finished_at IS NULL ORDER BY started_at", null, -1);
  }

  /** A run's pairs, by repo and target. */
  public synchronized List<ReproducibilityPair> pairsOf(String runId) {
    List<ReproducibilityPair> pairs = pairs("SELECT record FROM reproducibility_pairs WHERE run_id = ?", runId);
    pairs.sort((a, b) -> (a.repo() + "\0" + a.target()).compareTo(b.repo() + "\0" + b.target()));
    return pairs;
  }

  public synchronized Optional<ReproducibilityPair> pair(String id) {
    return pairs("SELECT record FROM reproducibility_pairs WHERE id = ?", id).stream().findFirst();
  }

  /**
   * The outcome of the latest judged pair of every repo and target, keyed {@code repo + "\0" + target}
   * (the reproducibility gauge); computed in SQLite from the records' JSON, without reading them into Java.
   */
  public synchronized Map<String, Verdict.Outcome> latestOutcomes() {
    StoreDatabase.Engine engine = database.engine();
    String repo = engine.jsonText("record", "repo");
    String target = engine.jsonText("record", "target");
    String sql = "SELECT repo, target, outcome FROM (SELECT " + repo + " AS repo, " + target + " AS target, "
        + engine.jsonText("record", "outcome") + " AS outcome, ROW_NUMBER() OVER (PARTITION BY " + repo + ", " + target
        + " ORDER BY judged_at DESC, id DESC) AS newness FROM reproducibility_pairs WHERE judged_at IS NOT NULL)"
        + " AS ranked WHERE newness = 1 AND outcome IS NOT NULL";
    Map<String, Verdict.Outcome> latest = new TreeMap<>();
    try (PreparedStatement query = connection.prepareStatement(sql); ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        latest.put(rows.getString(1) + "\0" + rows.getString(2), Verdict.Outcome.valueOf(rows.getString(3)));
      }
    } catch (SQLException | IllegalArgumentException e) {
      throw failure("read the latest verdicts", e);
    }
    return latest;
  }

  /**
   * The pairs of {@code repo} and {@code target} that nightly runs other than {@code pair}'s recorded before it,
   * newest first, at most {@code limit}: where the drift of {@code pair}'s inputs is measured from.
   */
  public synchronized List<ReproducibilityPair> earlierNightlyPairs(ReproducibilityPair pair, int limit) {
    List<ReproducibilityPair> pairs = new ArrayList<>();
    try (PreparedStatement query = connection.prepareStatement("SELECT record FROM reproducibility_pairs"
        + " WHERE run_id IS NOT NULL AND run_id <> ? AND created_at <= ? AND "
        + database.engine().jsonText("record", "repo") + " = ? AND " + database.engine().jsonText("record", "target")
        + " = ? ORDER BY created_at DESC, id DESC LIMIT ?")) {
      query.setString(1, pair.run() == null ? "" : pair.run());
      query.setLong(2, Instant.parse(pair.createdAt()).toEpochMilli());
      query.setString(3, pair.repo());
      query.setString(4, pair.target());
      query.setInt(5, limit);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          pairs.add(WireJson.read(rows.getString(1), ReproducibilityPair.class));
        }
      }
    } catch (SQLException | WireJson.WireFormatException e) {
      throw failure("read the earlier pairs of " + pair.repo() + " " + pair.target(), e);
    }
    return pairs;
  }

  /** Pairs without a verdict yet, oldest first. */
  public synchronized List<ReproducibilityPair> openPairs() {
    return pairs("SELECT record FROM reproducibility_pairs WHERE judged_at IS NULL ORDER BY created_at, id", null);
  }

  private static void bindRun(PreparedStatement statement, NightlyReport run) throws SQLException {
    statement.setString(1, run.id());
    setInstant(statement, 2, run.scheduledFor());
    statement.setLong(3, Instant.parse(run.startedAt()).toEpochMilli());
    setInstant(statement, 4, run.finishedAt());
    statement.setString(5, WireJson.write(run.withPairs(List.of())));
  }

  private static void setInstant(PreparedStatement statement, int index, String instant) throws SQLException {
    if (instant == null) {
      statement.setNull(index, Types.BIGINT);
    } else {
      statement.setLong(index, Instant.parse(instant).toEpochMilli());
    }
  }

  private List<NightlyReport> runs(String sql, String id, int limit) {
    List<NightlyReport> runs = new ArrayList<>();
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      if (id != null) {
        query.setString(1, id);
      } else if (limit >= 0) {
        query.setInt(1, limit);
      }
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          runs.add(WireJson.read(rows.getString(1), NightlyReport.class));
        }
      }
    } catch (SQLException | WireJson.WireFormatException e) {
      throw failure("read nightly runs", e);
    }
    return runs;
  }

  private List<ReproducibilityPair> pairs(String sql, String id) {
    List<ReproducibilityPair> pairs = new ArrayList<>();
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      if (id != null) {
        query.setString(1, id);
      }
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          pairs.add(WireJson.read(rows.getString(1), ReproducibilityPair.class));
        }
      }
    } catch (SQLException | WireJson.WireFormatException e) {
      throw failure("read reproducibility pairs", e);
    }
    return pairs;
  }

  private BuildStoreException failure(String what, Exception e) {
    return e instanceof SQLException sql ? database.failure(what, sql)
        : new BuildStoreException("cannot " + what + " in " + database.name() + ": " + e.getMessage(), e);
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.log(Level.WARNING, "bootfarm: closing the nightly tables: " + e.getMessage());
    }
  }
}
