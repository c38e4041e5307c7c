package org.bootfarm.cluster.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.text.MessageFormat;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/** The text of one daemon log entry: time in UTC, level, logger name, message, and a stack trace if any. */
final class LogLine {

  private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

  private LogLine() {
  }

  /** One entry, ending in a line break; a thrown exception's stack trace follows on the lines after it. */
  static String format(Instant at, System.Logger.Level level, String logger, String message, Throwable thrown) {
    StringBuilder line = new StringBuilder(96)
        .append(TIME.format(at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)))
        .append(' ').append(String.format("%-7s", level.getName()))
        .append(' ').append(logger).append(": ").append(message == null ? "" : message)
        .append(System.lineSeparator());
    if (thrown != null) {
      StringWriter trace = new StringWriter();
      thrown.printStackTrace(new PrintWriter(trace));
      line.append(trace);
    }
    return line.toString();
  }

  /** {@code key} looked up in {@code bundle} when there is one and it has the key, else the key itself. */
  static String localized(ResourceBundle bundle, String key) {
    if (bundle == null || key == null) {
      return key;
    }
    try {
      return bundle.getString(key);
    } catch (MissingResourceException notThere) {
      return key;
    }
  }

  /** {@code format} with its {@code {0}}-style parameters filled in, as {@link System.Logger} defines. */
  static String filled(String format, Object... params) {
    if (format == null || params == null || params.length == 0) {
      return format;
    }
    try {
      return MessageFormat.format(format, params);
    } catch (IllegalArgumentException notAPattern) {
      return format + " " + java.util.Arrays.toString(params);
    }
  }
}
