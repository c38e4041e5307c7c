package org.bootfarm.cluster.identity;

import java.util.Arrays;

/**
 * Which sequence numbers of one sender's session a coordinator has accepted, so that each is accepted
 * once: a duplicate is refused, and so is a number more than {@link #SIZE} below the highest seen (too
 * old to tell). Messages sent concurrently may arrive out of order; within the window that is fine.
 */
final class ReplayWindow {
  /** How far behind the newest a number may arrive: seconds of a busy client's traffic. */
  static final int SIZE = 32768;
  private final long[] seen = new long[SIZE / 64];
  private long top = -1;

  /** Accepts {@code sequence} once; else says why not (a duplicate, or too old to tell). */
  synchronized String accept(long sequence) {
    if (sequence < 0) {
      return "sequence " + sequence + " is negative";
    }
    if (sequence > top) {
      if (sequence - top >= SIZE) {
        Arrays.fill(seen, 0L);
      } else {
        for (long s = top + 1; s < sequence; s++) {
          clear(s);
        }
      }
      top = sequence;
      set(sequence);
      return null;
    }
    if (top - sequence >= SIZE) {
      return "sequence " + sequence + " is more than " + SIZE + " behind the newest (" + top + ") of its session";
    }
    if (isSet(sequence)) {
      return "sequence " + sequence + " of its session was accepted already (a replay or a duplicate)";
    }
    set(sequence);
    return null;
  }

  private void set(long sequence) {
    int bit = (int) (sequence % SIZE);
    seen[bit >>> 6] |= 1L << (bit & 63);
  }

  private void clear(long sequence) {
    int bit = (int) (sequence % SIZE);
    seen[bit >>> 6] &= ~(1L << (bit & 63));
  }

  private boolean isSet(long sequence) {
    int bit = (int) (sequence % SIZE);
    return (seen[bit >>> 6] & (1L << (bit & 63))) != 0;
  }
}
