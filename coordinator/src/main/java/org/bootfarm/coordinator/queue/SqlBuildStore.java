package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.bootfarm.coordinator.StoreLock;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * The build store in SQL, on one of two engines ({@link StoreDatabase}): by default one SQLite file in the
 * coordinator's data dir (ADR 0010), WAL journal with {@code synchronous=FULL}, so a commit has reached the disk
 * when it returns and a process killed at any moment leaves the last committed state; or a PostgreSQL database
 * shared by the farm's coordinators (ADR 0039), where a commit is what the server (and its synchronous standbys)
 * made durable, and every write carries the epoch of this coordinator's term, which the database checks. One JDBC
 * connection serves every thread in turn, concurrent inserts sharing one commit; every transition is one
 * conditional {@code UPDATE}, which is what makes it a compare-and-set. The SQL is the same on both engines.
 *
 * <p>On SQLite, one coordinator per file: {@link #open} takes an exclusive lock on {@code FILE.lock} beside it
 * and refuses to open a file another process (or another store in this JVM) holds. Two coordinators sharing a
 * file would each trust their own view of leases and ids; give each its own data dir, or share PostgreSQL.
 */
public final class SqlBuildStore implements BuildStore {
  private static final String COLUMNS = "id, repo, target, priority, options, state, worker, attempts, placement,"
      + " error, error_kind, submitted_at, started_at, finished_at, not_before, lease_owner, lease_expires_at, pinned,"
      + " log_sha256, package_cache, unsigned, submitted_by, definition_digest, rebuild_of, pinned_buildinfo";

  /** Build ids bound in one {@code IN (...)} when reading components and artifacts (SQLite allows 32766). */
  private static final int IDS_PER_QUERY = 500;

  private final StoreDatabase database;
  private final String name;
  private final Clock clock;
  private final StoreLock lock; // SQLite: held on FILE.lock until closed; null on PostgreSQL
  private Connection connection; // null after a lost PostgreSQL session, until the next use reconnects
  private Connection fencedSession; // the session that has fencedEpoch set, outside any transaction
  private long fencedEpoch;
  private final BuildIdSequence ids;
  private final List<Integer> migrationsApplied;
  private final AtomicLong queueChanges = new AtomicLong(); // see queueChanges()
  private final GroupCommit inserts = new GroupCommit(this::insertAll, queueChanges::incrementAndGet);
  private boolean closed;

  private SqlBuildStore(StoreDatabase database, Clock clock, StoreLock lock, Connection connection,
      List<Integer> migrationsApplied) throws SQLException {
    this.database = database;
    this.name = database.name();
    this.clock = clock;
    this.lock = lock;
    this.connection = connection;
    this.migrationsApplied = List.copyOf(migrationsApplied);
    this.ids = new BuildIdSequence(clock, greatestId(connection));
  }

  private static String greatestId(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT MAX(id) FROM builds")) {
      return row.next() ? row.getString(1) : null;
    }
  }

  /**
   * Opens (creating it and its directory when missing) the SQLite store at {@code file}, e.g.
   * {@code DATA_DIR/builds.sqlite}, and brings its schema up to date. {@code clock} stamps starts and
   * finishes and judges lease expiry.
   */
  public static SqlBuildStore open(Path file, Clock clock) {
    return open(StoreDatabase.sqlite(file), clock);
  }

  /** Opens the store in {@code database} and brings its schema up to date (on PostgreSQL, and its fence). */
  public static SqlBuildStore open(StoreDatabase database, Clock clock) {
    return database.engine() == StoreDatabase.Engine.SQLITE ? openSqlite(database, clock) : openPostgres(database, clock);
  }

  private static SqlBuildStore openSqlite(StoreDatabase database, Clock clock) {
    Path absolute = database.file();
    StoreLock lock = null;
    Connection connection = null;
    try {
      Files.createDirectories(absolute.getParent());
      Path lockFile = absolute.resolveSibling(absolute.getFileName() + ".lock");
      lock = StoreLock.tryAcquire(lockFile).orElseThrow(() -> new BuildStoreException("the build store " + absolute
            + " is in use by another coordinator (it holds " + lockFile + "); one store file serves one coordinator:"
            + " stop the other or give this one its own --data-dir"));
      connection = database.connect();
      try (Statement statement = connection.createStatement()) {
        try (ResultSet mode = statement.executeQuery("PRAGMA journal_mode=WAL")) {
          String journal = mode.next() ? mode.getString(1) : "";
          if (!"wal".equalsIgnoreCase(journal)) {
            throw new BuildStoreException(absolute + ": SQLite refused the WAL journal (got '" + journal
                + "'); put the data dir on a local file system");
          }
        }
        try (ResultSet synchronous = statement.executeQuery("PRAGMA synchronous")) {
          if (!synchronous.next() || synchronous.getInt(1) != 2) {
            throw new BuildStoreException(absolute + ": SQLite did not take synchronous=FULL");
          }
        }
      }
      List<Integer> applied = new SchemaMigrations(SchemaMigrations.BUILD_STORE)
          .apply(connection, absolute.toString(), clock);
      return new SqlBuildStore(database, clock, lock, connection, applied);
    } catch (IOException | SQLException | RuntimeException e) {
      closeQuietly(connection, lock);
      if (e instanceof BuildStoreException known) {
        throw known;
      }
      throw new BuildStoreException("cannot open the build store " + absolute + ": " + e.getMessage(), e);
    }
  }

  private static SqlBuildStore openPostgres(StoreDatabase database, Clock clock) {
    Connection connection = null;
    try {
      connection = database.connect();
      List<Integer> applied;
      // coordinators starting together migrate one after the other; the lock ends with this statement's session
      try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
        lock.setLong(1, PostgresFencing.MIGRATION_LOCK);
        lock.execute();
      }
      try {
        applied = new SchemaMigrations(SchemaMigrations.BUILD_STORE)
            .apply(connection, database.name(), clock, StoreDatabase.Engine.POSTGRESQL);
        PostgresFencing.install(connection);
      } finally {
        try (PreparedStatement unlock = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          unlock.setLong(1, PostgresFencing.MIGRATION_LOCK);
          unlock.execute();
        }
      }
      return new SqlBuildStore(database, clock, null, connection, applied);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(connection, null);
      if (e instanceof BuildStoreException known) {
        throw known;
      }
      throw new BuildStoreException("cannot open the build store " + database.name() + ": " + e.getMessage()
          + (e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")
              ? "; is the PostgreSQL server running, and does --store name its host, port and database?" : ""), e);
    }
  }

  /** The database this store is kept in. */
  public StoreDatabase database() {
    return database;
  }

  /** The SQLite database file; null on PostgreSQL. */
  public Path file() {
    return database.file();
  }

  /** The schema versions this {@link #open} applied (empty when the file was already up to date). */
  public List<Integer> migrationsApplied() {
    return migrationsApplied;
  }

  /**
   * Moves the id sequence past the greatest id the database holds: a coordinator that begins a term on the shared
   * store issues ids after those the previous active one issued.
   */
  public synchronized void catchUpIds() {
    String greatest = query("read the greatest build id", () -> greatestId(connection()));
    if (greatest != null) {
      ids.advancePast(greatest);
    }
  }

  @Override
  public String nextId() {
    return ids.next();
  }

  /** Inserts {@code build} in the group commit ({@link GroupCommit}): returns once its transaction committed. */
  @Override
  public void insert(BuildRecord build) {
    RuntimeException failure = insertEach(List.of(build)).get(0);
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * The group commit of {@link #insert} for several records of one thread at once: they join the pending inserts
   * together, so one transaction usually holds them all (docs/adr/0056); returns when every one is written.
   */
  @Override
  public List<RuntimeException> insertEach(List<BuildRecord> builds) {
    for (BuildRecord build : builds) {
      if (!BuildIdSequence.isValid(build.id())) {
        throw new IllegalArgumentException("build id '" + build.id() + "' was not issued by BuildStore.nextId()");
      }
    }
    return inserts.insertEach(builds);
  }

  /**
   * Inserts the builds in one transaction; returns, per build, null when it was written or why it
   * was not (a duplicate id fails alone; a database error fails the whole batch). Each statement is prepared once
   * per batch and sent as a JDBC batch (one round trip for the rows on PostgreSQL, ADR 0051), and the ids already
   * stored are found with one query per {@value #IDS_PER_QUERY} ids.
   */
  synchronized List<RuntimeException> insertAll(List<BuildRecord> builds) {
    List<RuntimeException> outcomes = new ArrayList<>(Collections.nCopies(builds.size(), null));
    try {
      transaction("insert " + builds.size() + " build(s)", () -> {
        Set<String> stored = existing(builds.stream().map(BuildRecord::id).toList());
        Set<String> batchIds = new HashSet<>();
        List<BuildRecord> fresh = new ArrayList<>(builds.size());
        for (int b = 0; b < builds.size(); b++) {
          BuildRecord build = builds.get(b);
          if (!batchIds.add(build.id()) || stored.contains(build.id())) {
            outcomes.set(b, new IllegalArgumentException("build " + build.id() + " is already in " + name));
          } else {
            fresh.add(build);
          }
        }
        writeBuilds(fresh);
        return builds.size();
      });
    } catch (RuntimeException e) {
      Collections.fill(outcomes, e);
    }
    return outcomes;
  }

  /** Which of {@code ids} the store holds. */
  private Set<String> existing(List<String> ids) throws SQLException {
    Set<String> found = new HashSet<>();
    for (List<String> chunk : inChunks(ids)) {
      try (PreparedStatement exists = connection().prepareStatement("SELECT id FROM builds WHERE id IN ("
          + placeholders(chunk.size()) + ")")) {
        bind(exists, chunk.toArray());
        try (ResultSet rows = exists.executeQuery()) {
          while (rows.next()) {
            found.add(rows.getString(1));
          }
        }
      }
    }
    return found;
  }

  private void writeBuilds(List<BuildRecord> builds) throws SQLException {
    if (builds.isEmpty()) {
      return;
    }
    try (PreparedStatement insert = connection().prepareStatement(
        "INSERT INTO builds (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (BuildRecord build : builds) {
        int i = 0;
        insert.setString(++i, build.id());
        insert.setString(++i, build.repo());
        insert.setString(++i, build.target());
        insert.setInt(++i, build.priority().rank());
        insert.setString(++i, build.options());
        insert.setString(++i, build.state().name());
        insert.setString(++i, build.worker());
        insert.setInt(++i, build.attempts());
        insert.setString(++i, build.placement());
        insert.setString(++i, build.error());
        insert.setString(++i, build.errorKind() == null ? null : build.errorKind().name());
        setInstant(insert, ++i, build.submittedAt());
        setInstant(insert, ++i, build.startedAt());
        setInstant(insert, ++i, build.finishedAt());
        setInstant(insert, ++i, build.notBefore());
        insert.setString(++i, build.leaseOwner());
        setInstant(insert, ++i, build.leaseExpiry());
        insert.setInt(++i, build.pinned() ? 1 : 0);
        insert.setString(++i, build.log());
        insert.setString(++i, build.packageCache() == null ? null : WireJson.write(build.packageCache()));
        insert.setString(++i, build.unsigned().isEmpty() ? null : WireJson.write(build.unsigned()));
        insert.setString(++i, build.submittedBy());
        insert.setString(++i, build.definitionDigest());
        insert.setString(++i, build.rebuildOf());
        insert.setString(++i, build.pinnedBuildinfo());
        insert.addBatch();
      }
      insert.executeBatch();
    }
    if (builds.stream().anyMatch(build -> !build.components().isEmpty())) {
      try (PreparedStatement component = connection().prepareStatement(
          "INSERT INTO build_components (build_id, name, sha256) VALUES (?, ?, ?)")) {
        for (BuildRecord build : builds) {
          for (Map.Entry<String, String> entry : build.components().entrySet()) {
            component.setString(1, build.id());
            component.setString(2, entry.getKey());
            component.setString(3, entry.getValue());
            component.addBatch();
          }
        }
        component.executeBatch();
      }
    }
    for (BuildRecord build : builds) {
      insertArtifacts(build.id(), build.artifacts());
    }
  }

  @Override
  public synchronized Optional<BuildRecord> get(String id) {
    return query("get build " + id, () -> select("WHERE id = ?", id).stream().findFirst());
  }

  @Override
  public synchronized List<BuildRecord> list(BuildFilter filter) {
    StringBuilder where = new StringBuilder("WHERE 1 = 1");
    List<Object> parameters = new ArrayList<>();
    if (filter.repo() != null) {
      where.append(" AND repo = ?");
      parameters.add(filter.repo());
    }
    if (filter.state() != null) {
      where.append(" AND state = ?");
      parameters.add(filter.state().name());
    }
    where.append(" ORDER BY id DESC LIMIT ?");
    parameters.add(filter.limit());
    return query("list builds", () -> select(where.toString(), parameters.toArray()));
  }

  /**
   * What is QUEUED now, for the queue gauges: how many builds of each priority (every priority present,
   * zero or not) and when the oldest of them was submitted (null when none). One indexed query.
   */
  public synchronized QueueSummary queueSummary() {
    return query("count the queue", () -> {
      Map<BuildPriority, Long> depth = new java.util.EnumMap<>(BuildPriority.class);
      for (BuildPriority priority : BuildPriority.values()) {
        depth.put(priority, 0L);
      }
      Instant oldest = null;
      try (PreparedStatement statement = connection().prepareStatement(
          "SELECT priority, COUNT(*), MIN(submitted_at) FROM builds WHERE state = 'QUEUED' GROUP BY priority");
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          depth.put(BuildPriority.ofRank(rows.getInt(1)), rows.getLong(2));
          Instant submitted = Instant.ofEpochMilli(rows.getLong(3));
          oldest = oldest == null || submitted.isBefore(oldest) ? submitted : oldest;
        }
      }
      return new QueueSummary(depth, oldest);
    });
  }

  /**
   * The queue now: QUEUED builds by priority, and the submission time of the oldest (null when empty).
   */
  public record QueueSummary(Map<BuildPriority, Long> depth, Instant oldestSubmitted) {
    public QueueSummary {
      depth = Map.copyOf(depth);
    }
  }

  @Override
  public synchronized List<BuildRecord> nextQueued(Instant now, int limit) {
    return query("read the queue", () -> select(
        "WHERE state = 'QUEUED' AND (not_before IS NULL OR not_before <= ?) ORDER BY priority, id LIMIT ?",
        now.toEpochMilli(), limit));
  }

  @Override
  public synchronized List<BuildRecord> nextQueuedAfter(Instant now, BuildRecord after, int limit) {
    return query("read the queue", () -> select(QUEUE_AFTER, now.toEpochMilli(), after.priority().rank(), after.id(),
        limit));
  }

  /**
   * The condition of {@link #nextQueuedAfter} after {@code FROM builds}. The page starts after the last build read
   * by a row value, which both engines seek to in the queue index; written as {@code priority > ? OR (priority = ?
   * AND id > ?)}, SQLite read every QUEUED row before it again for each page, so a walk of the queue cost its depth
   * squared (170,000 builds: a minute of CPU per walk, issue 17).
   */
  static final String QUEUE_AFTER = "WHERE state = 'QUEUED' AND (not_before IS NULL OR not_before <= ?)"
      + " AND (priority, id) > (?, ?) ORDER BY priority, id LIMIT ?";

  @Override
  public synchronized List<BuildRecord> unnotedQueued(Instant now, BuildRecord after, int limit) {
    String unnoted = unnotedCondition(database.engine(), after != null);
    return query("read the unnoted queue", () -> after == null
        ? select(unnoted, now.toEpochMilli(), limit)
        : select(unnoted, now.toEpochMilli(), after.priority().rank(), after.id(), limit));
  }

  /**
   * The condition of {@link #unnotedQueued} after {@code FROM builds}: on SQLite it names the partial index
   * {@code builds_unnoted}, which holds only the unnoted builds; left to itself SQLite's planner took {@code
   * builds_queue} for its equality on {@code state} and read every QUEUED row to find the unnoted ones, each page
   * again from the start: 130,000 queued builds made each pass without a worker seconds of CPU (issue 17). A later
   * page starts after the last build read by a row value, as {@link #QUEUE_AFTER} does.
   */
  static String unnotedCondition(StoreDatabase.Engine engine, boolean afterABuild) {
    return (engine == StoreDatabase.Engine.SQLITE ? "INDEXED BY builds_unnoted " : "")
        + "WHERE state = 'QUEUED' AND placement IS NULL AND (not_before IS NULL OR not_before <= ?)"
        + (afterABuild ? " AND (priority, id) > (?, ?)" : "") + " ORDER BY priority, id LIMIT ?";
  }

  /** Counted by the writes that record, claim, re-queue, end or pin a build as a rebuild, each after it committed. */
  @Override
  public long queueChanges() {
    return queueChanges.get();
  }

  @Override
  public synchronized Optional<Instant> nextBackoffEnd(Instant now) {
    return query("find the next backoff's end", () -> {
      try (PreparedStatement statement = connection().prepareStatement(
          "SELECT MIN(not_before) FROM builds WHERE state = 'QUEUED' AND not_before > ?")) {
        statement.setLong(1, now.toEpochMilli());
        try (ResultSet rows = statement.executeQuery()) {
          if (!rows.next()) {
            return Optional.<Instant>empty();
          }
          long end = rows.getLong(1);
          return rows.wasNull() ? Optional.<Instant>empty() : Optional.of(Instant.ofEpochMilli(end));
        }
      }
    });
  }

  @Override
  public synchronized Optional<BuildRecord> claim(String id, String worker, Instant leaseUntil, String placement) {
    Instant now = clock.instant();
    requireFuture(leaseUntil, now, "claim of " + id + " by " + worker);
    return queueChange(() -> transition(id, "claim",
        "UPDATE builds SET state = 'RUNNING', worker = ?, lease_owner = ?,"
        + " lease_expires_at = ?, started_at = ?, placement = ? WHERE id = ? AND state = 'QUEUED'",
        worker, worker, leaseUntil.toEpochMilli(), now.toEpochMilli(), placement, id));
  }

  /** Why a QUEUED build is still waiting; no other state takes a note. */
  private static final String NOTE_PLACEMENT = "UPDATE builds SET placement = ? WHERE id = ? AND state = 'QUEUED'";

  @Override
  public synchronized Optional<BuildRecord> notePlacement(String id, String reason) {
    return transition(id, "note placement", NOTE_PLACEMENT, reason, id);
  }

  @Override
  public synchronized int notePlacements(Map<String, String> reasons) {
    if (reasons.isEmpty()) {
      return 0;
    }
    // builds waiting for the same reason (a page of new builds and no live worker: all of them) share a statement
    Map<String, List<String>> byReason = new HashMap<>();
    reasons.forEach((id, reason) -> byReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(id));
    return transaction("note placement of " + reasons.size() + " build(s)", () -> {
      int noted = 0;
      for (Map.Entry<String, List<String>> reason : byReason.entrySet()) {
        for (List<String> chunk : inChunks(reason.getValue())) {
          List<Object> parameters = new ArrayList<>(chunk.size() + 1);
          parameters.add(reason.getKey());
          parameters.addAll(chunk);
          noted += update(notePlacementsStatement(database.engine(), chunk.size()), parameters.toArray());
        }
      }
      return noted;
    });
  }

  /**
   * The update of {@link #notePlacements} for {@code ids} builds. SQLite's planner, without statistics, priced the
   * equality on {@code state} in the queue index below {@code ids} look-ups of the primary key, and so read every
   * QUEUED row for each note: a deep queue made each page's notes cost its depth (170,000 builds: 40 ms per page of
   * 64, issue 17). The unary {@code +} takes {@code state} out of SQLite's choice of index; PostgreSQL plans from its
   * statistics and is given the plain term.
   */
  static String notePlacementsStatement(StoreDatabase.Engine engine, int ids) {
    return "UPDATE builds SET placement = ? WHERE " + (engine == StoreDatabase.Engine.SQLITE ? "+state" : "state")
        + " = 'QUEUED' AND id IN (" + placeholders(ids) + ")";
  }

  @Override
  public synchronized Optional<BuildRecord> pinAsRebuild(String id, String original, String buildinfoSha256,
      String definitionDigest) {
    return queueChange(() -> transition(id, "pin as a rebuild of " + original,
        "UPDATE builds SET rebuild_of = ?, pinned_buildinfo = ?,"
        + " definition_digest = COALESCE(?, definition_digest) WHERE id = ? AND state = 'QUEUED'"
        + " AND ((rebuild_of IS NULL AND pinned_buildinfo IS NULL) OR (rebuild_of = ? AND pinned_buildinfo = ?))",
        original, buildinfoSha256, definitionDigest, id, original, buildinfoSha256));
  }

  @Override
  public synchronized Optional<BuildRecord> renewLease(String id, String worker, Instant until) {
    Instant now = clock.instant();
    requireFuture(until, now, "lease renewal of " + id + " by " + worker);
    return transition(id, "renew lease", "UPDATE builds SET lease_expires_at = ?"
        + " WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? AND lease_expires_at > ?",
        until.toEpochMilli(), id, worker, now.toEpochMilli());
  }

  @Override
  public synchronized Optional<BuildRecord> extendLease(String id, String worker, Instant until) {
    requireFuture(until, clock.instant(), "lease extension of " + id + " held by " + worker);
    return transition(id, "extend lease", "UPDATE builds SET lease_expires_at = ?"
        + " WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? AND lease_expires_at < ?",
        until.toEpochMilli(), id, worker, until.toEpochMilli());
  }

  @Override
  public Optional<BuildRecord> finish(String id, String worker, BuildOutcome outcome) {
    return finish(id, worker, null, outcome);
  }

  @Override
  public Optional<BuildRecord> finish(String id, String worker, int attempt, BuildOutcome outcome) {
    return finish(id, worker, Integer.valueOf(attempt), outcome);
  }

  /** Both finishes: {@code attempt} null means any attempt. */
  private synchronized Optional<BuildRecord> finish(String id, String worker, Integer attempt, BuildOutcome outcome) {
    long now = clock.millis();
    return queueChange(() -> transaction("finish build " + id, () -> {
      int changed = update("UPDATE builds SET state = ?, finished_at = ?, error = ?, error_kind = ?, log_sha256 = ?,"
          + " package_cache = ?, lease_owner = NULL, lease_expires_at = NULL"
          + " WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? AND lease_expires_at > ?"
          + " AND attempts = COALESCE(?, attempts)",
          outcome.state().name(), now, outcome.error(),
          outcome.errorKind() == null ? null : outcome.errorKind().name(), outcome.log(),
          outcome.packageCache() == null ? null : WireJson.write(outcome.packageCache()), id, worker, now, attempt);
      if (changed == 0) {
        return Optional.<BuildRecord>empty();
      }
      update("DELETE FROM build_artifacts WHERE build_id = ?", id);
      insertArtifacts(id, outcome.artifacts());
      return select("WHERE id = ?", id).stream().findFirst();
    }));
  }

  @Override
  public synchronized Optional<BuildRecord> requeue(String id, String worker, String reason, Instant notBefore) {
    return queueChange(() -> transition(id, "requeue",
        "UPDATE builds SET state = 'QUEUED', attempts = attempts + 1, worker = NULL,"
        + " lease_owner = NULL, lease_expires_at = NULL, not_before = ?, error = ?, error_kind = 'TRANSIENT'"
        + " WHERE id = ? AND state = 'RUNNING' AND lease_owner = ?",
        notBefore == null ? null : notBefore.toEpochMilli(), reason, id, worker));
  }

  @Override
  public synchronized Optional<BuildRecord> fail(String id, String error, ErrorKind kind) {
    return queueChange(() -> transition(id, "fail",
        "UPDATE builds SET state = 'FAILED', finished_at = ?, error = ?, error_kind = ?,"
        + " lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND state IN ('QUEUED', 'RUNNING')",
        clock.millis(), error, kind.name(), id));
  }

  @Override
  public synchronized Optional<BuildRecord> cancel(String id) {
    return queueChange(() -> transition(id, "cancel",
        "UPDATE builds SET state = 'CANCELLED', finished_at = ?,"
        + " lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND state IN ('QUEUED', 'RUNNING')",
        clock.millis(), id));
  }

  @Override
  public synchronized List<BuildRecord> expiredLeases(Instant now) {
    return query("find expired leases", () -> select(
        "WHERE state = 'RUNNING' AND lease_expires_at <= ? ORDER BY lease_expires_at, id", now.toEpochMilli()));
  }

  @Override
  public synchronized List<BuildRecord> leasesHeldBy(String worker) {
    return query("find the leases of worker " + worker, () -> select(
        "WHERE state = 'RUNNING' AND lease_owner = ? ORDER BY id", worker));
  }

  @Override
  public synchronized List<BuildRecord> extendLeasesUntil(Instant until) {
    requireFuture(until, clock.instant(), "extension of every lease");
    long end = until.toEpochMilli();
    return transaction("extend leases until " + until, () -> {
      List<BuildRecord> shorter = select("WHERE state = 'RUNNING' AND lease_expires_at < ? ORDER BY id", end);
      update("UPDATE builds SET lease_expires_at = ? WHERE state = 'RUNNING' AND lease_expires_at < ?", end, end);
      return shorter;
    });
  }

  @Override
  public synchronized Optional<BuildRecord> pin(String id) {
    return transition(id, "pin", "UPDATE builds SET pinned = 1 WHERE id = ?", id);
  }

  @Override
  public synchronized Optional<BuildRecord> unpin(String id) {
    return transition(id, "unpin", "UPDATE builds SET pinned = 0 WHERE id = ?", id);
  }

  @Override
  public synchronized List<BuildRecord> beyondRetention(int keepNewest) {
    if (keepNewest < 0) {
      throw new IllegalArgumentException("retention keeps a number of builds >= 0, not " + keepNewest);
    }
    return query("find builds beyond retention", () -> select(
        "WHERE id IN (SELECT id FROM (SELECT id, pinned, ROW_NUMBER() OVER"
            + " (PARTITION BY repo, target ORDER BY finished_at DESC, id DESC) AS newness"
            + " FROM builds WHERE state = 'SUCCEEDED') AS ranked WHERE newness > ? AND pinned = 0) ORDER BY id",
        keepNewest));
  }

  @Override
  public synchronized Set<String> retainedHashes(int keepNewest) {
    if (keepNewest < 0) {
      throw new IllegalArgumentException("retention keeps a number of builds >= 0, not " + keepNewest);
    }
    // the kept builds once, as a named subquery: every clause below names it without a parameter of its own
    String kept = "SELECT id FROM kept";
    String sql = "WITH kept(id) AS (" + KEPT + ")"
        + " SELECT sha256 FROM build_artifacts WHERE build_id IN (" + kept + ")"
        + " UNION SELECT sha256 FROM build_inputs WHERE build_id IN (" + kept + ")"
        + " UNION SELECT sha256 FROM build_components WHERE build_id IN (" + kept + ")"
        + " UNION SELECT sha256 FROM build_components WHERE build_id IN"
        + " (SELECT id FROM builds WHERE state IN ('QUEUED', 'RUNNING'))"
        + " UNION SELECT log_sha256 FROM builds WHERE log_sha256 IS NOT NULL AND (id IN (" + kept + ")"
        + " OR id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY repo, target"
        + " ORDER BY finished_at DESC, id DESC) AS newness FROM builds WHERE state IN ('FAILED', 'CANCELLED'))"
        + " AS ranked WHERE newness <= ?))"
        // the definition a kept, pinned or unfinished build is pinned to (docs/adr/0034)
        + " UNION SELECT definition_digest FROM builds WHERE definition_digest IS NOT NULL AND (id IN (" + kept + ")"
        + " OR state IN ('QUEUED', 'RUNNING'))"
        // a REPRODUCIBLE pair's signed attestation, on every coordinator of the store (ADR 0044)
        + " UNION SELECT attestation_sha256 FROM reproducibility_pairs WHERE attestation_sha256 IS NOT NULL";
    return query("find the hashes retention keeps", () -> {
      Set<String> hashes = new HashSet<>();
      try (PreparedStatement statement = connection().prepareStatement(sql)) {
        bind(statement, keepNewest, keepNewest); // the kept builds, and the failed builds whose logs stay
        try (ResultSet result = statement.executeQuery()) {
          while (result.next()) {
            hashes.add(result.getString(1));
          }
        }
      }
      return hashes;
    });
  }

  /**
   * The builds retention keeps, as a query with one parameter (how many SUCCEEDED builds per repo and target):
   * those newest ones, the pinned ones, and the originals of unfinished rebuilds (which install their inputs).
   */
  private static final String KEPT = "SELECT id FROM (SELECT id, ROW_NUMBER() OVER"
      + " (PARTITION BY repo, target ORDER BY finished_at DESC, id DESC) AS newness"
      + " FROM builds WHERE state = 'SUCCEEDED') AS ranked WHERE newness <= ?"
      + " UNION SELECT id FROM builds WHERE pinned = 1"
      + " UNION SELECT rebuild_of FROM builds WHERE rebuild_of IS NOT NULL AND state IN ('QUEUED', 'RUNNING')";

  @Override
  public synchronized void recordInputs(String id, Collection<String> sha256s) {
    transaction("record the inputs of build " + id, () -> {
      update("DELETE FROM build_inputs WHERE build_id = ?", id);
      try (PreparedStatement insert = connection().prepareStatement(
          "INSERT INTO build_inputs (build_id, sha256) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
        for (String sha256 : sha256s) {
          insert.setString(1, id);
          insert.setString(2, sha256);
          insert.executeUpdate();
        }
      }
      return null;
    });
  }

  @Override
  public synchronized Set<String> recordedInputs() {
    return query("list the recorded inputs", () -> {
      Set<String> hashes = new HashSet<>();
      try (PreparedStatement statement = connection().prepareStatement("SELECT DISTINCT sha256 FROM build_inputs");
          ResultSet result = statement.executeQuery()) {
        while (result.next()) {
          hashes.add(result.getString(1));
        }
      }
      return hashes;
    });
  }

  @Override
  public synchronized List<BuildRecord> withoutInputs() {
    return query("find the builds whose inputs are not recorded", () -> select("WHERE state = 'SUCCEEDED'"
        + " AND id IN (SELECT build_id FROM build_artifacts WHERE name = 'buildinfo.json')"
        + " AND id NOT IN (SELECT build_id FROM build_inputs)"));
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      closeQuietly(connection, lock);
    }
  }

  private interface Work<T> {
    T run() throws SQLException;
  }

  /** Runs {@code write}, one that may change which builds are QUEUED or RUNNING and where, then counts it. */
  private <T> T queueChange(Supplier<T> write) {
    try {
      return write.get();
    } finally {
      queueChanges.incrementAndGet(); // after the commit: a pass that read before it sees a new count
    }
  }

  private Optional<BuildRecord> transition(String id, String what, String sql, Object... parameters) {
    return transaction(what + " of build " + id, () -> update(sql, parameters) == 0
        ? Optional.<BuildRecord>empty()
        : select("WHERE id = ?", id).stream().findFirst());
  }

  private <T> T transaction(String what, Work<T> work) {
    requireOpen();
    try {
      Connection session = connection();
      fence(session);
      session.setAutoCommit(false);
      try {
        T result = work.run();
        session.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(session);
        throw e;
      } finally {
        if (!session.isClosed()) {
          session.setAutoCommit(true);
        }
      }
    } catch (SQLException e) {
      lostSession(e);
      throw database.failure(what, e);
    }
  }

  /**
   * States this coordinator's epoch on {@code session} once per session and epoch, not before every transaction
   * (a round trip each on PostgreSQL): the setting is made outside any transaction, in auto-commit, so no later
   * rollback undoes it, and a new session or a new epoch states it again.
   */
  private void fence(Connection session) throws SQLException {
    long epoch = database.epoch();
    if (session != fencedSession || epoch != fencedEpoch) {
      fencedSession = null;
      database.fence(session, epoch);
      fencedSession = session;
      fencedEpoch = epoch;
    }
  }

  private <T> T query(String what, Work<T> work) {
    requireOpen();
    try {
      return work.run();
    } catch (SQLException e) {
      lostSession(e);
      throw database.failure(what, e);
    }
  }

  /** The session, connected anew when the last one was lost (a PostgreSQL server restarted or failed over). */
  private Connection connection() throws SQLException {
    if (connection == null) {
      connection = database.connect();
    }
    return connection;
  }

  /** Forgets a session the error says is lost (SQLSTATE class 08), so that the next use connects again. */
  private void lostSession(SQLException e) {
    if (connection != null && (e.getSQLState() != null && e.getSQLState().startsWith("08") || isClosed(connection))) {
      closeQuietly(connection, null);
      connection = null;
    }
  }

  private static boolean isClosed(Connection connection) {
    try {
      return connection.isClosed();
    } catch (SQLException e) {
      return true;
    }
  }

  private static void rollbackQuietly(Connection session) {
    try {
      if (!session.isClosed()) {
        session.rollback();
      }
    } catch (SQLException ignored) {
      // the transaction is lost with the session
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the build store " + name + " is closed");
    }
  }

  private int update(String sql, Object... parameters) throws SQLException {
    try (PreparedStatement statement = connection().prepareStatement(sql)) {
      bind(statement, parameters);
      return statement.executeUpdate();
    }
  }

  private void insertArtifacts(String id, List<ArtifactRecord> artifacts) throws SQLException {
    if (artifacts.isEmpty()) {
      return;
    }
    try (PreparedStatement insert = connection().prepareStatement(
        "INSERT INTO build_artifacts (build_id, name, sha256, size) VALUES (?, ?, ?, ?)")) {
      for (ArtifactRecord artifact : artifacts) {
        insert.setString(1, id);
        insert.setString(2, artifact.name());
        insert.setString(3, artifact.sha256());
        insert.setLong(4, artifact.size());
        insert.executeUpdate();
      }
    }
  }

  private List<BuildRecord> select(String condition, Object... parameters) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement statement = connection().prepareStatement("SELECT " + COLUMNS + " FROM builds " + condition)) {
      bind(statement, parameters);
      try (ResultSet result = statement.executeQuery()) {
        while (result.next()) {
          rows.add(Row.of(result));
        }
      }
    }
    Map<String, Map<String, String>> components = new HashMap<>();
    Map<String, List<ArtifactRecord>> artifacts = new HashMap<>();
    for (List<String> ids : inChunks(rows.stream().map(Row::id).toList())) {
      String in = " WHERE build_id IN (" + placeholders(ids.size()) + ")";
      try (PreparedStatement statement = connection().prepareStatement(
          "SELECT build_id, name, sha256 FROM build_components" + in)) {
        bind(statement, ids.toArray());
        try (ResultSet result = statement.executeQuery()) {
          while (result.next()) {
            components.computeIfAbsent(result.getString(1), id -> new TreeMap<>())
                .put(result.getString(2), result.getString(3));
          }
        }
      }
      try (PreparedStatement statement = connection().prepareStatement(
          "SELECT build_id, name, sha256, size FROM build_artifacts" + in + " ORDER BY build_id, name")) {
        bind(statement, ids.toArray());
        try (ResultSet result = statement.executeQuery()) {
          while (result.next()) {
            artifacts.computeIfAbsent(result.getString(1), id -> new ArrayList<>())
                .add(new ArtifactRecord(result.getString(2), result.getString(3), result.getLong(4)));
          }
        }
      }
    }
    List<BuildRecord> builds = new ArrayList<>(rows.size());
    for (Row row : rows) {
      builds.add(row.toRecord(components.getOrDefault(row.id, Map.of()), artifacts.getOrDefault(row.id, List.of())));
    }
    return builds;
  }

  /** {@code ids} in runs of at most {@link #IDS_PER_QUERY}: the most one {@code IN (...)} list binds. */
  private static List<List<String>> inChunks(List<String> ids) {
    List<List<String>> chunks = new ArrayList<>();
    for (int from = 0; from < ids.size(); from += IDS_PER_QUERY) {
      chunks.add(ids.subList(from, Math.min(ids.size(), from + IDS_PER_QUERY)));
    }
    return chunks;
  }

  /** {@code ?, ?, …}: {@code count} parameters of an {@code IN (...)} list. */
  private static String placeholders(int count) {
    return String.join(", ", Collections.nCopies(count, "?"));
  }

  /** One row of {@code builds}, read before its components and artifacts (one open result set at a time). */
  private record Row(String id, String repo, String target, int priority, String options, String state,
      String worker, int attempts, String placement, String error, String errorKind, Instant submittedAt,
      Instant startedAt, Instant finishedAt, Instant notBefore, String leaseOwner, Instant leaseExpiry,
      boolean pinned, String log, String packageCache, String unsigned, String submittedBy, String definitionDigest,
      String rebuildOf, String pinnedBuildinfo) {

    static Row of(ResultSet r) throws SQLException {
      return new Row(r.getString(1), r.getString(2), r.getString(3), r.getInt(4), r.getString(5), r.getString(6),
          r.getString(7), r.getInt(8), r.getString(9), r.getString(10), r.getString(11), instant(r, 12),
          instant(r, 13), instant(r, 14), instant(r, 15), r.getString(16), instant(r, 17), r.getInt(18) != 0,
          r.getString(19), r.getString(20), r.getString(21), r.getString(22), r.getString(23), r.getString(24),
          r.getString(25));
    }

    BuildRecord toRecord(Map<String, String> components, List<ArtifactRecord> artifacts) {
      return new BuildRecord(id, repo, target, new TreeMap<>(components), BuildPriority.ofRank(priority), options,
          BuildState.valueOf(state), worker, attempts, placement, artifacts, log, error,
          errorKind == null ? null : ErrorKind.valueOf(errorKind), submittedAt, startedAt, finishedAt, notBefore,
          leaseOwner, leaseExpiry, pinned, cacheUse(), unsignedSources(), submittedBy, definitionDigest, rebuildOf,
          pinnedBuildinfo);
    }

    /** The stored JSON array; unreadable text (a newer writer's) reads as one entry saying so, never as none. */
    private List<String> unsignedSources() {
      if (unsigned == null) {
        return List.of();
      }
      try {
        return List.of(WireJson.read(unsigned, String[].class));
      } catch (WireJson.WireFormatException e) {
        return List.of("unreadable: " + unsigned);
      }
    }

    /** The stored JSON as a record; unreadable text (a newer writer's) reads as unknown. */
    private PackageCacheUse cacheUse() {
      if (packageCache == null) {
        return null;
      }
      try {
        return WireJson.read(packageCache, PackageCacheUse.class);
      } catch (WireJson.WireFormatException e) {
        return null;
      }
    }
  }

  private static Instant instant(ResultSet row, int column) throws SQLException {
    long millis = row.getLong(column);
    return row.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  private static void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
    if (instant == null) {
      statement.setNull(index, Types.BIGINT);
    } else {
      statement.setLong(index, instant.toEpochMilli());
    }
  }

  private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
    for (int i = 0; i < parameters.length; i++) {
      Object value = parameters[i];
      if (value == null) {
        statement.setNull(i + 1, Types.NULL); // typed by its place in the statement, on both engines
      } else if (value instanceof Long number) {
        statement.setLong(i + 1, number);
      } else if (value instanceof Integer number) {
        statement.setInt(i + 1, number);
      } else {
        statement.setString(i + 1, value.toString());
      }
    }
  }

  private static void requireFuture(Instant until, Instant now, String what) {
    if (!until.isAfter(now)) {
      throw new IllegalArgumentException(what + ": a lease must end in the future, but " + until
          + " is not after now (" + now + ")");
    }
  }

  private static void closeQuietly(Connection connection, StoreLock lock) {
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // closing: nothing left to protect
    }
    try {
      if (lock != null) {
        lock.close();
      }
    } catch (IOException ignored) {
      // closing: nothing left to protect
    }
  }
}
