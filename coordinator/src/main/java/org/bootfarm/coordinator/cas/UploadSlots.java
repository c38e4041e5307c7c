package org.bootfarm.coordinator.cas;

import java.util.HashMap;
import java.util.Map;

/**
 * Which uploads may run now: at most {@link UploadLimits#threads} in all (one per thread of the upload pool, so
 * none waits in its queue holding a connection) and {@link UploadLimits#perClient} for one client. A refused
 * upload is answered at once, before its body is read, with when to try again.
 */
final class UploadSlots {
  /** Why an upload may not start now. */
  enum Refusal {
    /** The client has {@code perClient} uploads running: 429. */
    CLIENT_LIMIT,
    /** The pool's every thread is taken: 503. */
    BUSY
  }

  private final int all;
  private final int perClient;
  private final Map<String, Integer> running = new HashMap<>();
  private int total;

  UploadSlots(int all, int perClient) {
    this.all = all;
    this.perClient = perClient;
  }

  /** Takes a slot for {@code client}; null if it got one (give it back with {@link #release}), else why not. */
  synchronized Refusal take(String client) {
    int mine = running.getOrDefault(client, 0);
    if (mine >= perClient) {
      return Refusal.CLIENT_LIMIT;
    }
    if (total >= all) {
      return Refusal.BUSY;
    }
    running.put(client, mine + 1);
    total++;
    return null;
  }

  synchronized void release(String client) {
    running.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
    total--;
  }

  /** Uploads running now. */
  synchronized int running() {
    return total;
  }

  int perClient() {
    return perClient;
  }

  int all() {
    return all;
  }
}
