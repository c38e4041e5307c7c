package org.bootfarm.coordinator.nightly;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * When nightly runs are due: a cron expression read by cron-utils, in UTC. Five fields are Unix cron
 * ({@code minute hour day-of-month month day-of-week}, e.g. the default {@code 0 2 * * *}); six
 * fields put a seconds field first (Spring's definition, e.g. {@code 30 * * * * *}), for short
 * cycles and tests. {@code off} disables the schedule (runs start only on demand).
 */
public final class NightlySchedule {
  /** The coordinator's default: every day at 02:00 UTC. */
  public static final String DEFAULT = "0 2 * * *";
  /** What {@code --nightly} takes to disable the schedule. */
  public static final String OFF = "off";

  private final String expression;
  private final ExecutionTime executions; // null: off

  private NightlySchedule(String expression, ExecutionTime executions) {
    this.expression = expression;
    this.executions = executions;
  }

  /**
   * Reads a schedule.
   *
   * @throws IllegalArgumentException naming the expression and what is wrong with it
   */
  public static NightlySchedule parse(String expression) {
    String text = expression == null ? "" : expression.trim();
    if (text.equalsIgnoreCase(OFF)) {
      return new NightlySchedule(OFF, null);
    }
    int fields = text.isEmpty() ? 0 : text.split("\\s+").length;
    CronType type = switch (fields) {
      case 5 -> CronType.UNIX;
      case 6 -> CronType.SPRING;
      default -> throw new IllegalArgumentException("nightly schedule '" + expression + "' has " + fields
          + " fields; give a Unix cron expression of 5 (minute hour day month weekday, e.g. '" + DEFAULT
          + "'), 6 with a leading seconds field, or 'off'");
    };
    try {
      Cron cron = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(text).validate();
      return new NightlySchedule(text, ExecutionTime.forCron(cron));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("nightly schedule '" + expression + "' is not a valid cron expression ("
          + e.getMessage() + "); e.g. '" + DEFAULT + "' for 02:00 UTC daily, or 'off'", e);
    }
  }

  /** Whether runs start on a schedule at all. */
  public boolean enabled() {
    return executions != null;
  }

  /** The expression as given ({@code off} when disabled). */
  public String expression() {
    return expression;
  }

  /** The latest scheduled instant at or before {@code now} (UTC, whole seconds); empty when off or none. */
  public Optional<Instant> lastAtOrBefore(Instant now) {
    if (executions == null) {
      return Optional.empty();
    }
    ZonedDateTime at = now.truncatedTo(ChronoUnit.SECONDS).atZone(ZoneOffset.UTC);
    // cron-utils' lastExecution is strictly before its argument: ask one second later to include now
    return executions.lastExecution(at.plusSeconds(1)).map(ZonedDateTime::toInstant)
        .filter(instant -> !instant.isAfter(now));
  }

  /** The first scheduled instant after {@code now}; empty when off. */
  public Optional<Instant> nextAfter(Instant now) {
    if (executions == null) {
      return Optional.empty();
    }
    return executions.nextExecution(now.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toInstant);
  }

  @Override
  public String toString() {
    return expression;
  }
}
