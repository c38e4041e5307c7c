package org.bootfarm.protocol.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2), 0.5);

  @Test
  void theCeilingDoublesFromTheFirstWaitUpToTheMax() {
    assertEquals(Duration.ofMillis(500), backoff.ceiling(1));
    assertEquals(Duration.ofMillis(1000), backoff.ceiling(2));
    assertEquals(Duration.ofMillis(2000), backoff.ceiling(3));
    assertEquals(Duration.ofMillis(2000), backoff.ceiling(4));
    assertEquals(Duration.ofMillis(2000), backoff.ceiling(1_000_000));
    assertEquals(Duration.ofMillis(300), new Backoff(Duration.ofMillis(200), Duration.ofMillis(300), 0).ceiling(2));
  }

  @Test
  void eachWaitIsJitteredWithinItsBounds() {
    Set<Duration> seen = new HashSet<>();
    for (int tries = 1; tries <= 6; tries++) {
      Duration ceiling = backoff.ceiling(tries);
      for (int i = 0; i < 200; i++) {
        Duration wait = backoff.delay(tries);
        assertTrue(wait.compareTo(ceiling) <= 0, wait + " > " + ceiling);
        assertTrue(wait.compareTo(ceiling.dividedBy(2)) >= 0, wait + " < half of " + ceiling);
        seen.add(wait);
      }
    }
    assertTrue(seen.size() > 100, "the waits vary: " + seen.size());
    assertEquals(Duration.ofSeconds(2), new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2), 0).delay(9));
  }

  @Test
  void refusesBoundsThatMakeNoBackoff() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), 0.5));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 1.5));
    assertThrows(IllegalArgumentException.class, () -> backoff.ceiling(0));
  }
}
