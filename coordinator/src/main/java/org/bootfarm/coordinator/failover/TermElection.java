package org.bootfarm.coordinator.failover;

import io.vertx.core.Vertx;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.bootfarm.coordinator.queue.StoreTerm;

/**
 * Which coordinator is active when the farm shares one PostgreSQL store (docs/adr/0039): the one holding the
 * store's term lock. A standby tries for it every {@link #EVERY} and takes over when it frees (the active one
 * died, or lost its session); the active one checks every {@link #EVERY} that its term still stands, and the
 * moment it does not (its lock session was lost, or the database fenced one of its writes) it stops acting as
 * the active one and exits, saying so, so that its supervisor starts it again as a standby: a coordinator that
 * was cut off must not place builds or accept reports on a view that another coordinator now owns.
 */
public final class TermElection implements Election {
  private static final System.Logger LOG = System.getLogger(TermElection.class.getName());
  /** How often a standby tries for the term and the active one checks it still holds it. */
  public static final Duration EVERY = Duration.ofSeconds(1);
  /** The exit code of a coordinator that lost its term (EX_TEMPFAIL: start it again, it comes back a standby). */
  public static final int EXIT_TERM_LOST = 75;

  private final Vertx vertx;
  private final SqlBuildStore store;
  private final String nodeId;
  private final Clock clock;
  private final Runnable termLost;
  private volatile StoreTerm term;
  private volatile boolean ended;
  private long timer = -1;

  /**
   * @param termLost what this coordinator does once its term ended under it (after it stopped acting): the
   *     daemon exits ({@link #exitProcess})
   */
  public TermElection(Vertx vertx, SqlBuildStore store, String nodeId, Clock clock, Runnable termLost) {
    this.vertx = vertx;
    this.store = store;
    this.nodeId = nodeId;
    this.clock = clock;
    this.termLost = termLost;
    store.database().onFenced(this::lost);
  }

  /** Exits the process (in a thread of its own, so that shutdown hooks may wait on this one's threads). */
  public static void exitProcess() {
    new Thread(() -> System.exit(EXIT_TERM_LOST), "term-lost-exit").start();
  }

  /** Whether this coordinator holds the term, trying for it once when it does not (blocking: not on the loop). */
  public boolean tryToLead() {
    if (term != null || ended) {
      return term != null;
    }
    StoreTerm begun = StoreTerm.tryBegin(store.database(), nodeId, clock).orElse(null);
    if (begun != null) {
      store.catchUpIds();
      term = begun;
      LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " holds term " + begun.epoch()
          + " of the shared store " + store.database().name());
    }
    return term != null;
  }

  @Override
  public boolean thisOneLeads() {
    return term != null;
  }

  @Override
  public String leader() {
    if (term != null) {
      return nodeId;
    }
    try (var session = store.database().connect();
        PreparedStatement holder = session.prepareStatement("SELECT holder FROM coordinator_term WHERE id = 1");
        ResultSet row = holder.executeQuery()) {
      return row.next() ? row.getString(1) : "(none)";
    } catch (SQLException e) {
      return "(none)";
    }
  }

  /** Every {@link #EVERY}: a standby tries for the term, and calls {@code why} once it holds it; the active one checks it. */
  @Override
  public void onLeaderMayHaveChanged(Consumer<String> why) {
    timer = vertx.setPeriodic(EVERY.toMillis(), id -> vertx.executeBlocking(() -> {
      if (term == null) {
        return tryToLead();
      }
      if (!term.held()) {
        lost();
      }
      return false;
    }, false).onSuccess(begun -> {
      if (begun) {
        why.accept("the shared store's term lock was free: this coordinator holds term " + term.epoch());
      }
    }));
  }

  /** The term ended under this coordinator: stop acting at once, say so, and hand over to {@code termLost}. */
  private synchronized void lost() {
    StoreTerm ending = term;
    if (ending == null || ended) {
      return; // a standby's refused write is only an error
    }
    ended = true;
    term = null;
    ending.close(); // from now on every write of this coordinator is refused
    LOG.log(System.Logger.Level.ERROR, "bootfarm coordinator " + nodeId + " lost its term " + ending.epoch()
        + " of the shared store " + store.database().name() + " (its lock session ended or another coordinator"
        + " began a later term): it stops acting as the active coordinator and exits with code " + EXIT_TERM_LOST
        + "; started again, it comes back as a standby");
    termLost.run();
  }

  /** Stops trying and ends the term (the coordinator is closing): the lock frees for a standby. */
  public void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    ended = true;
    StoreTerm ending = term;
    term = null;
    if (ending != null) {
      ending.close();
    }
  }
}
