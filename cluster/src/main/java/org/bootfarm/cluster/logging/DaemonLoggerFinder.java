package org.bootfarm.cluster.logging;

import java.io.PrintStream;
import java.util.Locale;
import java.util.ResourceBundle;

/**
 * Where every {@link System.Logger} of a bootfarm process writes: one line per message on standard error,
 * {@code 2026-12-06T04:31:02.123Z INFO  org.bootfarm.worker.agent.ReportSender: text}, with a thrown
 * exception's stack trace below it.
 *
 * <p>Installed as the JVM's {@link System.LoggerFinder} (a service of this module), so daemon messages do
 * not go through {@code java.util.logging}: that framework resets its handlers in a shutdown hook of its
 * own, and a worker draining in its shutdown hook (ADR 0023) would lose every message it logs while it
 * waits. Writing to {@code System.err} directly has no such hook, and one line per message is what
 * {@code journalctl} and container logs show best. Libraries that log through {@code java.util.logging}
 * themselves (Hazelcast, Vert.x) keep their own format.
 *
 * <p>The threshold is {@code INFO}; {@code -Dbootfarm.log.level=DEBUG} (or {@code BOOTFARM_LOG_LEVEL=DEBUG}
 * in the environment) shows more, {@code WARNING} less.
 */
public final class DaemonLoggerFinder extends System.LoggerFinder {

  private final System.Logger.Level threshold = threshold(
      System.getProperty("bootfarm.log.level", System.getenv("BOOTFARM_LOG_LEVEL")));

  @Override
  public System.Logger getLogger(String name, Module module) {
    return new LineLogger(name, threshold, System.err);
  }

  /** The level named by {@code text} (any case), or INFO when it names none. */
  static System.Logger.Level threshold(String text) {
    if (text == null || text.isBlank()) {
      return System.Logger.Level.INFO;
    }
    try {
      return System.Logger.Level.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException unknown) {
      System.err.println("bootfarm: log level '" + text + "' is not one of " + java.util.Arrays.toString(
          System.Logger.Level.values()) + "; logging at INFO");
      return System.Logger.Level.INFO;
    }
  }

  /** {@link System.Logger} that writes {@link LogLine}s to one stream. */
  static final class LineLogger implements System.Logger {
    private final String name;
    private final Level threshold;
    private final PrintStream out;

    LineLogger(String name, Level threshold, PrintStream out) {
      this.name = name;
      this.threshold = threshold;
      this.out = out;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public boolean isLoggable(Level level) {
      return level != Level.OFF && threshold != Level.OFF && level.getSeverity() >= threshold.getSeverity();
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
      if (isLoggable(level)) {
        write(LogLine.format(java.time.Instant.now(), level, name, LogLine.localized(bundle, message), thrown));
      }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      if (isLoggable(level)) {
        write(LogLine.format(java.time.Instant.now(), level, name,
            LogLine.filled(LogLine.localized(bundle, format), params), null));
      }
    }

    private void write(String line) {
      synchronized (out) {
        out.print(line);
        out.flush();
      }
    }
  }
}
