package org.bootfarm.coordinator.failover;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.bootfarm.coordinator.BuildCoordinator;

/**
 * How a coordinator becomes the active one, at start or when it took the shared store's term: it gives every
 * running build a fresh lease so its worker can keep reporting (the builds and nightly runs are already in the
 * store it reads), then takes the API and report addresses and starts placing and reconciling ({@link Duties}). Knows whether this coordinator is
 * active; only {@link #takeOverIfLeader} and the first {@link #activate} make it so.
 */
public final class Takeover {
  private static final System.Logger LOG = System.getLogger(Takeover.class.getName());
  /**
   * What a coordinator that starts (or takes over) adds to one lease before it takes back the builds it
   * finds running: their workers may have to join the cluster again before they can renew (the
   * cluster's state died with the last coordinator), measured at 3-18 s here with four workers and the
   * coordinator starting at once on 2 busy cores.
   */
  public static final Duration REJOIN_GRACE = Duration.ofSeconds(30);

  /** What the active coordinator does that a standby does not. */
  public interface Duties {
    /** Takes the active coordinator's addresses; the future completes when they are registered. */
    Future<?> serve();

    /** Starts the active coordinator's timers (placing, reconciling, nightly runs); called once serving. */
    void start();

    /** The duties of {@code serve} and {@code start}. */
    static Duties of(java.util.function.Supplier<Future<?>> serve, Runnable start) {
      return new Duties() {
        @Override
        public Future<?> serve() {
          return serve.get();
        }

        @Override
        public void start() {
          start.run();
        }
      };
    }
  }

  private final Vertx vertx;
  private final String nodeId;
  private final Election election;
  private final BuildCoordinator coordinator;
  private final Duties duties;
  private volatile boolean active;
  private volatile boolean activating;

  public Takeover(Vertx vertx, String nodeId, Election election, BuildCoordinator coordinator, Duties duties) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.election = election;
    this.coordinator = coordinator;
    this.duties = duties;
  }

  /** Whether this coordinator is the active one now (a standby forwards and follows). */
  public boolean active() {
    return active;
  }

  /** This coordinator is closing: it is no longer active. */
  public void stop() {
    active = false;
  }

  /** On the event loop: a standby that is now the leader of the election becomes the active one. */
  public void takeOverIfLeader(String why) {
    if (!active && !activating && election.thisOneLeads()) {
      activate(why);
    }
  }

  /** Becomes the active coordinator, saying {@code why} in the log; fails when it could not. */
  public Future<Void> activate(String why) {
    activating = true;
    long began = System.nanoTime();
    return vertx.executeBlocking(() -> coordinator.afterTakeover(REJOIN_GRACE), false)
        .compose(extended -> duties.serve().map(extended)).map(extended -> {
      active = true;
      activating = false;
      duties.start();
      LOG.log(System.Logger.Level.INFO, "bootfarm coordinator " + nodeId + " is now active (" + why + "): "
          + extended + " running builds given a fresh lease,"
          + " in " + (System.nanoTime() - began) / 1_000_000 + " ms; serving the API and placing builds");
      return (Void) null;
    }).onFailure(e -> {
      activating = false;
      LOG.log(System.Logger.Level.ERROR, "bootfarm coordinator " + nodeId + " could not become active (" + why
          + "): " + e);
    });
  }
}
