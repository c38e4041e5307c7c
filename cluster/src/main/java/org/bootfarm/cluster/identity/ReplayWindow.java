package org.bootfarm.cluster.identity;

import java.util.Arrays;

/**
 * Which sequence numbers of one sender's session a coordinator has accepted (or which nonces of one
 * signing process a member has, ADR 0064), so that each is accepted once: a duplicate is refused, and so is a
 * number more than the window's size below the highest seen (too old to tell). Messages sent concurrently
 * may arrive out of order; within the window that is fine.
 */
final class ReplayWindow {
  /** How far behind the newest a session's number may arrive: seconds of a busy client's traffic. */
  static final int SIZE = 32768;
  private final int size;
  /** What a number is and whose, for the refusals: "sequence" of "its session", "nonce" of "its signing process". */
  private final String number;
  private final String owner;
  private final long[] seen;
  private long top = -1;

  /** A window of {@link #SIZE} sequence numbers, a MAC session's. */
  ReplayWindow() {
    this(SIZE, "sequence", "its session");
  }

  /** A window of {@code size} numbers (a multiple of 64), each a {@code number} of {@code owner}'s in the refusals. */
  ReplayWindow(int size, String number, String owner) {
    if (size <= 0 || size % 64 != 0) {
      throw new IllegalArgumentException("a replay window's size is a positive multiple of 64, not " + size);
    }
    this.size = size;
    this.number = number;
    this.owner = owner;
    this.seen = new long[size / 64];
  }

  /** Accepts {@code sequence} once; else says why not (a duplicate, or too old to tell). */
  synchronized String accept(long sequence) {
    if (sequence < 0) {
      return number + " " + sequence + " is negative";
    }
    if (sequence > top) {
      if (sequence - top >= size) {
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
    if (top - sequence >= size) {
      return number + " " + sequence + " is more than " + size + " behind the newest (" + top + ") of " + owner;
    }
    if (isSet(sequence)) {
      return number + " " + sequence + " of " + owner + " was accepted already (a replay or a duplicate)";
    }
    set(sequence);
    return null;
  }

  private void set(long sequence) {
    int bit = (int) (sequence % size);
    seen[bit >>> 6] |= 1L << (bit & 63);
  }

  private void clear(long sequence) {
    int bit = (int) (sequence % size);
    seen[bit >>> 6] &= ~(1L << (bit & 63));
  }

  private boolean isSet(long sequence) {
    int bit = (int) (sequence % size);
    return (seen[bit >>> 6] & (1L << (bit & 63))) != 0;
  }
}
