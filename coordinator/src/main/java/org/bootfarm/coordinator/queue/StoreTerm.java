package org.bootfarm.coordinator.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;

/**
 * One coordinator's term as the active one on the shared PostgreSQL store (docs/adr/0039): held as an advisory
 * lock on a session of its own, and begun by incrementing the epoch in {@code coordinator_term}, recorded with
 * the holder. While it lasts, every write of this coordinator's stores carries the epoch ({@link
 * StoreDatabase#fence}); when the lock session dies the lock frees, another coordinator begins the next term, and
 * the database refuses every later write of this one. {@link #held} tells whether the term still stands.
 */
public final class StoreTerm implements AutoCloseable {
  private final StoreDatabase database;
  private final Connection lockSession;
  private final long epoch;
  private final String holder;
  private volatile boolean closed;

  private StoreTerm(StoreDatabase database, Connection lockSession, long epoch, String holder) {
    this.database = database;
    this.lockSession = lockSession;
    this.epoch = epoch;
    this.holder = holder;
  }

  /**
   * Takes the term lock without waiting and begins the next term for {@code holder} (the coordinator's node id);
   * empty when another coordinator holds the lock.
   */
  public static Optional<StoreTerm> tryBegin(StoreDatabase database, String holder, Clock clock) {
    if (database.engine() != StoreDatabase.Engine.POSTGRESQL) {
      throw new IllegalStateException("terms are for the shared PostgreSQL store; " + database.name()
          + " is one coordinator's SQLite file");
    }
    Connection session = null;
    try {
      session = database.connect();
      try (PreparedStatement lock = session.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
        lock.setLong(1, PostgresFencing.TERM_LOCK);
        try (ResultSet row = lock.executeQuery()) {
          if (!row.next() || !row.getBoolean(1)) {
            session.close();
            return Optional.empty();
          }
        }
      }
      long epoch;
      // waits for the writes in flight of the old term, which hold the row FOR SHARE
      try (PreparedStatement next = session.prepareStatement("INSERT INTO coordinator_term (id, epoch, holder,"
          + " began_at) VALUES (1, 1, ?, ?) ON CONFLICT (id) DO UPDATE SET epoch = coordinator_term.epoch + 1,"
          + " holder = EXCLUDED.holder, began_at = EXCLUDED.began_at RETURNING epoch")) {
        next.setString(1, holder);
        next.setLong(2, clock.millis());
        try (ResultSet row = next.executeQuery()) {
          row.next();
          epoch = row.getLong(1);
        }
      }
      database.epoch(epoch);
      return Optional.of(new StoreTerm(database, session, epoch, holder));
    } catch (SQLException e) {
      if (session != null) {
        try {
          session.close();
        } catch (SQLException ignored) {
          // failing already
        }
      }
      throw database.failure("begin a term as the active coordinator", e);
    }
  }

  public long epoch() {
    return epoch;
  }

  public String holder() {
    return holder;
  }

  /**
   * Whether the term still stands: the lock session answers and the term row still names this epoch. False once
   * the session was lost (the lock is then free, or already another coordinator's) or a later term began.
   */
  public boolean held() {
    if (closed) {
      return false;
    }
    try (PreparedStatement current = lockSession.prepareStatement("SELECT epoch FROM coordinator_term WHERE id = 1")) {
      current.setQueryTimeout(5);
      try (ResultSet row = current.executeQuery()) {
        return row.next() && row.getLong(1) == epoch;
      }
    } catch (SQLException e) {
      return false;
    }
  }

  /** Ends the term: this coordinator's writes are refused from now on, and the lock frees for another. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (database.epoch() == epoch) {
      database.epoch(0);
    }
    try {
      lockSession.close();
    } catch (SQLException ignored) {
      // the session is gone either way, and with it the lock
    }
  }
}
