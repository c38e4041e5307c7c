package org.bootfarm.coordinator.daemon;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.bootfarm.coordinator.RepoCatalog;
import sun.misc.Signal;

/**
 * Keeps the coordinator's repo catalogue in step with its repos directory (docs/adr/0034): every {@link
 * #POLL_EVERY} it compares each definition directory's digest with the loaded one and reads again what changed,
 * was added or went; a {@code SIGHUP} to the process makes the next poll read every definition again (trusted
 * keys may have changed). Each change is one log line. Builds already accepted keep the definition they pinned.
 */
final class CatalogReload {
  /** How often the repos directory is compared with the catalogue. */
  static final Duration POLL_EVERY = Duration.ofSeconds(2);
  private static final System.Logger LOG = System.getLogger(CatalogReload.class.getName());
  /** SIGHUPs this process received; every catalogue of the process reads everything again after one. */
  private static final AtomicLong HANGUPS = new AtomicLong();
  private static final AtomicBoolean HANDLING_HANGUP = new AtomicBoolean();

  private final RepoCatalog catalog;
  private final Consumer<String> log;
  private final AtomicBoolean checking = new AtomicBoolean();
  private long hangupsSeen = HANGUPS.get();

  private CatalogReload(RepoCatalog catalog, Consumer<String> log) {
    this.catalog = catalog;
    this.log = log;
  }

  /**
   * Polls {@code catalog} every {@link #POLL_EVERY} and on SIGHUP, logging each change; returns the Vert.x timer
   * id, to be cancelled.
   */
  static long schedule(Vertx vertx, RepoCatalog catalog) {
    return schedule(vertx, catalog, line -> LOG.log(System.Logger.Level.INFO, "bootfarm coordinator: " + line));
  }

  /** {@link #schedule(Vertx, RepoCatalog)} telling each change to {@code log}. */
  static long schedule(Vertx vertx, RepoCatalog catalog, Consumer<String> log) {
    handleHangups();
    CatalogReload reload = new CatalogReload(catalog, log);
    return vertx.setPeriodic(POLL_EVERY.toMillis(), id -> {
      if (reload.checking.compareAndSet(false, true)) {
        vertx.executeBlocking(() -> {
          try {
            reload.check();
          } finally {
            reload.checking.set(false);
          }
          return null;
        }, false);
      }
    });
  }

  /** One poll: reads again what changed (everything after a SIGHUP) and logs each change. */
  void check() {
    long hangups = HANGUPS.get();
    boolean everything = hangups != hangupsSeen;
    hangupsSeen = hangups;
    try {
      List<String> changes = catalog.reload(everything);
      changes.forEach(log);
      if (everything) {
        log.accept("repos: SIGHUP: read every definition again" + (changes.isEmpty() ? ", nothing changed" : ""));
      }
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: repos: cannot read the repos directory again ("
          + e + "); the catalogue stays as it was; tried again in " + POLL_EVERY.toSeconds() + " s");
    }
  }

  /** Once per process: SIGHUP counts a hangup instead of ending the JVM (its default). */
  private static void handleHangups() {
    if (!HANDLING_HANGUP.compareAndSet(false, true)) {
      return;
    }
    try {
      // HotSpot leaves a SIGHUP the process inherited as ignored (nohup) ignored, and says so by returning SIG_IGN
      if (Signal.handle(new Signal("HUP"), signal -> HANGUPS.incrementAndGet()) == sun.misc.SignalHandler.SIG_IGN) {
        LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: SIGHUP is ignored in this process (started under"
            + " nohup, or by a parent that ignores it), and the JVM keeps it so: a SIGHUP reloads nothing; the repos"
            + " directory is still polled every " + POLL_EVERY.toSeconds() + " s. Start the coordinator without nohup"
            + " (systemd, setsid, or env --default-signal=HUP) for SIGHUP to reload at once");
      }
    } catch (IllegalArgumentException notHandled) {
      // the JVM keeps SIGHUP (-Xrs, or a platform without it): changes are still found by polling
      LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: SIGHUP cannot be handled here ("
          + notHandled.getMessage() + "); the repos directory is still polled every " + POLL_EVERY.toSeconds() + " s");
    }
  }
}
