package org.bootfarm.coordinator.nightly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The schedule arithmetic: which instant is due at a given time, in UTC, for Unix and seconds cron. */
@Tag("unit")
class NightlyScheduleTest {
  static Instant at(String text) {
    return Instant.parse(text);
  }

  @Test
  void defaultIsTwoInTheMorningUtcAndTheDueInstantIsTheLatestAtOrBeforeNow() {
    NightlySchedule daily = NightlySchedule.parse(NightlySchedule.DEFAULT);
    assertTrue(daily.enabled());
    assertEquals(Optional.of(at("2026-11-24T02:00:00Z")), daily.lastAtOrBefore(at("2026-11-25T01:59:59Z")));
    assertEquals(Optional.of(at("2026-11-25T02:00:00Z")), daily.lastAtOrBefore(at("2026-11-25T02:00:00Z")));
    assertEquals(Optional.of(at("2026-11-25T02:00:00Z")), daily.lastAtOrBefore(at("2026-11-25T02:00:00.999Z")));
    assertEquals(Optional.of(at("2026-11-25T02:00:00Z")), daily.lastAtOrBefore(at("2026-11-25T23:59:59Z")));
    assertEquals(Optional.of(at("2026-11-26T02:00:00Z")), daily.nextAfter(at("2026-11-25T02:00:00Z")));
    assertEquals(Optional.of(at("2026-11-25T02:00:00Z")), daily.nextAfter(at("2026-11-25T01:00:00Z")));
  }

  @Test
  void unixFieldsReadAsMinuteHourDayMonthWeekday() {
    NightlySchedule weekdays = NightlySchedule.parse("30 3 * * 1-5");
    // 2026-11-28 is a Saturday: the last run before Monday's is Friday's
    assertEquals(Optional.of(at("2026-11-27T03:30:00Z")), weekdays.lastAtOrBefore(at("2026-11-30T03:29:00Z")));
    assertEquals(Optional.of(at("2026-11-30T03:30:00Z")), weekdays.nextAfter(at("2026-11-28T00:00:00Z")));
  }

  @Test
  void aLeadingSixthFieldCountsSeconds() {
    NightlySchedule everyTwentySeconds = NightlySchedule.parse("*/20 * * * * *");
    assertEquals(Optional.of(at("2026-11-25T10:00:40Z")),
        everyTwentySeconds.lastAtOrBefore(at("2026-11-25T10:00:59Z")));
    assertEquals(Optional.of(at("2026-11-25T10:01:00Z")), everyTwentySeconds.nextAfter(at("2026-11-25T10:00:40Z")));
    NightlySchedule once = NightlySchedule.parse("7 5 4 * * *");
    assertEquals(Optional.of(at("2026-11-25T04:05:07Z")), once.lastAtOrBefore(at("2026-11-25T04:05:07Z")));
    assertEquals(Optional.of(at("2026-11-24T04:05:07Z")), once.lastAtOrBefore(at("2026-11-25T04:05:06Z")));
  }

  @Test
  void offDisablesTheSchedule() {
    NightlySchedule off = NightlySchedule.parse("off");
    assertFalse(off.enabled());
    assertEquals(Optional.empty(), off.lastAtOrBefore(Instant.now()));
    assertEquals(Optional.empty(), off.nextAfter(Instant.now()));
  }

  @Test
  void aMalformedExpressionIsRefusedNamingItAndAnExample() {
    IllegalArgumentException fields = assertThrows(IllegalArgumentException.class,
        () -> NightlySchedule.parse("0 2 *"));
    assertTrue(fields.getMessage().contains("'0 2 *' has 3 fields"), fields.getMessage());
    assertTrue(fields.getMessage().contains("0 2 * * *"), fields.getMessage());
    IllegalArgumentException hour = assertThrows(IllegalArgumentException.class,
        () -> NightlySchedule.parse("0 25 * * *"));
    assertTrue(hour.getMessage().startsWith("nightly schedule '0 25 * * *' is not a valid cron expression"),
        hour.getMessage());
  }
}
