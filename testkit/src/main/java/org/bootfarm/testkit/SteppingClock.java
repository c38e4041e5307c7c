package org.bootfarm.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock the test moves by hand, so that lease expiry, backoff and schedules are exact and instant: hand it
 * to the code under test instead of {@link Clock#systemUTC()}.
 */
public final class SteppingClock extends Clock {
  private volatile Instant now;

  public SteppingClock(Instant start) {
    this.now = start;
  }

  /** Moves the clock forward by {@code duration}. */
  public void advance(Duration duration) {
    now = now.plus(duration);
  }

  /** Sets the clock to {@code instant}, forward or back. */
  public void set(Instant instant) {
    now = instant;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
