package org.bootfarm.coordinator.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.bootfarm.testkit.SteppingClock;

/** Build ids sort in the order they were issued, whatever the clock does. */
@Tag("unit")
class BuildIdSequenceTest {
  private final SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));

  private static void assertStrictlyIncreasing(List<String> ids) {
    for (int i = 1; i < ids.size(); i++) {
      assertTrue(ids.get(i - 1).compareTo(ids.get(i)) < 0, ids.get(i - 1) + " !< " + ids.get(i));
    }
  }

  @Test
  void idsWithinOneMillisecondAndAcrossMillisecondsSortInIssueOrder() {
    BuildIdSequence sequence = new BuildIdSequence(clock, null);
    List<String> ids = new ArrayList<>();
    for (int ms = 0; ms < 50; ms++) {
      for (int i = 0; i < 20; i++) {
        ids.add(sequence.next());
      }
      clock.advance(Duration.ofMillis(1));
    }
    assertStrictlyIncreasing(ids);
    assertTrue(ids.stream().allMatch(BuildIdSequence::isValid));
  }

  @Test
  void clockSteppingBackDoesNotBreakOrder() {
    BuildIdSequence sequence = new BuildIdSequence(clock, null);
    String before = sequence.next();
    clock.advance(Duration.ofHours(-2));
    String after = sequence.next();
    assertTrue(before.compareTo(after) < 0);
    assertEquals(BuildIdSequence.millisOf(before), BuildIdSequence.millisOf(after));
  }

  @Test
  void seededSequenceContinuesAfterItsSeed() {
    String seed = new BuildIdSequence(clock, null).next();
    clock.advance(Duration.ofDays(-1));
    BuildIdSequence resumed = new BuildIdSequence(clock, seed);
    assertTrue(seed.compareTo(resumed.next()) < 0);
  }

  @Test
  void advancingPastAnotherCoordinatorsIdsKeepsEveryLaterIdAfterThem() {
    String theirs = new BuildIdSequence(clock, null).next();
    clock.advance(Duration.ofHours(-1)); // this coordinator's clock is an hour behind the other's
    BuildIdSequence mine = new BuildIdSequence(clock, null);
    String older = mine.next();
    mine.advancePast(theirs);
    mine.advancePast(older); // an older id moves nothing back
    String next = mine.next();
    assertTrue(next.compareTo(theirs) > 0, next + " must sort after " + theirs);
    assertTrue(mine.next().compareTo(next) > 0);
    assertThrows(IllegalArgumentException.class, () -> mine.advancePast("nope"));
  }

  @Test
  void tailOverflowCarriesIntoTheNextMillisecond() {
    String last = "01KDX0F8000000000000000000".substring(0, 10) + "ZZZZZZZZZZZZZZZZ";
    BuildIdSequence sequence = new BuildIdSequence(clock, last);
    clock.set(Instant.ofEpochMilli(0));
    String next = sequence.next();
    assertTrue(last.compareTo(next) < 0, last + " !< " + next);
    assertEquals(BuildIdSequence.millisOf(last) + 1, BuildIdSequence.millisOf(next));
  }

  @Test
  void idEncodesItsMillisecond() {
    String id = new BuildIdSequence(clock, null, new Random(7)).next();
    assertEquals(26, id.length());
    assertEquals(clock.millis(), BuildIdSequence.millisOf(id));
  }

  @Test
  void malformedIdsAreRecognised() {
    assertFalse(BuildIdSequence.isValid("build-1"));
    assertFalse(BuildIdSequence.isValid("01kdx0f8000000000000000000"), "lower case");
    assertFalse(BuildIdSequence.isValid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), "beyond 48 bits of milliseconds");
    assertFalse(BuildIdSequence.isValid("01KDX0F800000000000000000U"), "U is not Crockford base32");
    assertThrows(IllegalArgumentException.class, () -> new BuildIdSequence(clock, "nope"));
  }
}
