package org.bootfarm.coordinator.queue;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;

/**
 * Issues build ids that sort, as plain strings, in the order they were issued: 26 Crockford base32
 * characters (the ULID layout), 48 bits of milliseconds since the epoch and an 80-bit tail. The tail
 * starts at a random value in each new millisecond and counts up within it; when the clock stands
 * still or steps back, the sequence keeps counting from its last id, so order never breaks. A
 * store seeds the sequence with the greatest id it holds, which carries the order across restarts.
 * Thread-safe.
 */
public final class BuildIdSequence {
  private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final int LENGTH = 26;
  private static final long MAX_MILLIS = (1L << 48) - 1;

  private final Clock clock;
  private final Random random;
  private long lastMillis = -1;
  private long tailHigh; // the tail's upper 16 bits
  private long tailLow; // the tail's lower 64 bits

  /** A sequence on {@code clock} whose ids are all greater than {@code after} (null: no lower bound). */
  public BuildIdSequence(Clock clock, String after) {
    this(clock, after, new SecureRandom());
  }

  BuildIdSequence(Clock clock, String after, Random random) {
    this.clock = clock;
    this.random = random;
    if (after != null) {
      if (!isValid(after)) {
        throw new IllegalArgumentException("not a build id: '" + after + "'");
      }
      lastMillis = decode(after, 0, 10);
      long high = 0;
      long low = 0;
      for (int i = 10; i < LENGTH; i++) {
        int digit = ALPHABET.indexOf(after.charAt(i));
        high = ((high << 5) | (low >>> 59)) & 0xFFFF;
        low = (low << 5) | digit;
      }
      tailHigh = high;
      tailLow = low;
    }
  }

  /**
   * Makes every later id greater than {@code id} too: a store that takes in builds recorded by
   * another coordinator (a standby following the active one) calls this for each, so that after a
   * takeover it never issues an id that sorts before, or equals, one the farm already handed out.
   */
  public synchronized void advancePast(String id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException("not a build id: '" + id + "'");
    }
    long millis = decode(id, 0, 10);
    long high = 0;
    long low = 0;
    for (int i = 10; i < LENGTH; i++) {
      int digit = ALPHABET.indexOf(id.charAt(i));
      high = ((high << 5) | (low >>> 59)) & 0xFFFF;
      low = (low << 5) | digit;
    }
    if (millis > lastMillis || (millis == lastMillis && (high > tailHigh
        || (high == tailHigh && Long.compareUnsigned(low, tailLow) > 0)))) {
      lastMillis = millis;
      tailHigh = high;
      tailLow = low;
    }
  }

  /** The next id: greater than every id this sequence issued or was seeded with. */
  public synchronized String next() {
    long now = clock.millis();
    if (now > lastMillis) {
      lastMillis = now;
      tailHigh = random.nextInt(1 << 15); // top bit clear: a millisecond has 2^79 increments of room
      tailLow = random.nextLong();
    } else if (++tailLow == 0 && ++tailHigh > 0xFFFF) {
      lastMillis++; // 2^80 ids in one millisecond: borrow the next one
      tailHigh = 0;
      tailLow = 0;
    }
    if (lastMillis > MAX_MILLIS) {
      throw new IllegalStateException("the clock is past the year 10889: build ids cannot encode " + lastMillis);
    }
    char[] id = new char[LENGTH];
    for (int i = 0; i < 10; i++) {
      id[9 - i] = ALPHABET.charAt((int) ((lastMillis >>> (5 * i)) & 31));
    }
    for (int i = 0; i < 16; i++) {
      id[LENGTH - 1 - i] = ALPHABET.charAt((int) (tailChunk(5 * i) & 31));
    }
    return new String(id);
  }

  /** Whether {@code text} has the form of a build id (26 upper-case Crockford base32 characters). */
  public static boolean isValid(String text) {
    if (text == null || text.length() != LENGTH || ALPHABET.indexOf(text.charAt(0)) > 7) {
      return false;
    }
    return text.chars().allMatch(c -> ALPHABET.indexOf(c) >= 0);
  }

  /** The millisecond an id was issued in (by the issuing clock). */
  public static long millisOf(String id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException("not a build id: '" + id + "'");
    }
    return decode(id, 0, 10);
  }

  private long tailChunk(int bit) {
    if (bit >= 64) {
      return tailHigh >>> (bit - 64);
    }
    if (bit + 5 <= 64) {
      return tailLow >>> bit;
    }
    return (tailLow >>> bit) | (tailHigh << (64 - bit));
  }

  private static long decode(String id, int from, int to) {
    long value = 0;
    for (int i = from; i < to; i++) {
      value = (value << 5) | ALPHABET.indexOf(id.charAt(i));
    }
    return value;
  }
}
