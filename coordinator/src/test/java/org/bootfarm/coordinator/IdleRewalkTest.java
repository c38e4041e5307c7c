package org.bootfarm.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The period of a queue walk while no worker is live: every 30 s while walks are cheap, and for a walk of seconds (a
 * deep queue) twenty times its cost, so walks never take more than a twentieth of the time; a worker seen makes the
 * next pass without one walk at once.
 */
@Tag("unit")
class IdleRewalkTest {
  private static final Instant T0 = Instant.parse("2026-12-07T06:00:00Z");

  @Test
  void aCheapWalkComesBackEveryThirtySeconds() {
    IdleRewalk walks = new IdleRewalk();
    assertTrue(walks.due(T0), "the first pass without a worker walks the queue");
    walks.walked(T0, Duration.ofMillis(40));
    assertEquals(IdleRewalk.EVERY, walks.period());
    assertFalse(walks.due(T0.plusSeconds(29)));
    assertTrue(walks.due(T0.plusSeconds(30)));
  }

  @Test
  void aWalkOfSecondsWaitsTwentyTimesItsCost() {
    IdleRewalk walks = new IdleRewalk();
    walks.walked(T0, Duration.ofSeconds(4)); // a queue of 130,000 builds on this 2-core machine
    assertEquals(Duration.ofSeconds(80), walks.period());
    assertFalse(walks.due(T0.plusSeconds(30)), "a walk taking 4 s every 30 s would take 13 % of the time");
    assertFalse(walks.due(T0.plusSeconds(79)));
    assertTrue(walks.due(T0.plusSeconds(80)));
    walks.walked(T0.plusSeconds(80), Duration.ofMillis(100)); // the queue drained: back to every 30 s
    assertTrue(walks.due(T0.plusSeconds(110)));
  }

  @Test
  void aWorkerSeenOrAClockSetBackMakesTheNextPassWalk() {
    IdleRewalk walks = new IdleRewalk();
    walks.walked(T0, Duration.ofSeconds(4));
    walks.forget();
    assertTrue(walks.due(T0.plusSeconds(1)), "a worker was seen in between: its view of the queue is stale");
    walks.walked(T0, Duration.ofSeconds(4));
    assertTrue(walks.due(T0.minusSeconds(1)), "the clock went back: walk rather than wait for a time long past");
  }
}
