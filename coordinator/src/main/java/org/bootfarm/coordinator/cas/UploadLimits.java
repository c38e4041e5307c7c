package org.bootfarm.coordinator.cas;

import java.time.Duration;
import java.util.Objects;

/**
 * How uploads to the artifact store are bounded so that no client can stall the coordinator (ADR 0041): they
 * run on a pool of their own of {@code threads} threads (never the Vert.x worker pool that leases, reports and
 * the build store use), at most {@code perClient} at once for one client (more: 429) and {@code threads} in all
 * (more: 503), each cut off after {@code deadline} in all, when it sends nothing for {@code idleTimeout}, or when
 * fewer than {@code minBytesPerSecond} arrive over a {@code rateWindow} (408); and the store keeps within {@code
 * space} (507).
 *
 * @param threads uploads running at once, the size of their pool ({@code --upload-threads})
 * @param perClient uploads running at once for one client, a token's client at one address ({@code
 *     --uploads-per-client})
 * @param deadline the longest one upload may take, start to end ({@code --upload-deadline})
 * @param minBytesPerSecond the slowest an upload may send, averaged over each {@code rateWindow} ({@code
 *     --upload-min-rate}); 0: no minimum
 * @param rateWindow how long a stretch the rate is measured over
 * @param idleTimeout an upload that sends nothing for this long is cut off
 * @param space the store's quota and free-space reserve ({@code --store-quota}, {@code --store-reserve})
 */
public record UploadLimits(int threads, int perClient, Duration deadline, long minBytesPerSecond,
    Duration rateWindow, Duration idleTimeout, StoreSpace space) {
  /**
   * 16 uploads at once, 8 per client, each at most 1 hour, at least 16 KiB/s over every minute, idle at most 5
   * minutes; no quota, max(1 GiB, 5 %) of the file system kept free.
   */
  public static final UploadLimits DEFAULTS = new UploadLimits(16, 8, Duration.ofHours(1), 16 * 1024,
      Duration.ofMinutes(1), Duration.ofMinutes(5), StoreSpace.DEFAULT);

  public UploadLimits {
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(rateWindow, "rateWindow");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(space, "space");
    if (threads < 1 || perClient < 1) {
      throw new IllegalArgumentException("uploads need at least one thread and one per client, not " + threads
          + " and " + perClient);
    }
    if (deadline.isNegative() || deadline.isZero() || rateWindow.isNegative() || rateWindow.isZero()
        || idleTimeout.isNegative() || idleTimeout.isZero() || minBytesPerSecond < 0) {
      throw new IllegalArgumentException("upload deadline, rate window and idle timeout must be positive and the"
          + " minimum rate zero or more, not " + deadline + ", " + rateWindow + ", " + idleTimeout + ", "
          + minBytesPerSecond);
    }
  }

  public UploadLimits withIdleTimeout(Duration value) {
    return new UploadLimits(threads, perClient, deadline, minBytesPerSecond, rateWindow, value, space);
  }

  public UploadLimits withSlots(int allThreads, int onePerClient) {
    return new UploadLimits(allThreads, onePerClient, deadline, minBytesPerSecond, rateWindow, idleTimeout, space);
  }

  public UploadLimits withDeadline(Duration value) {
    return new UploadLimits(threads, perClient, value, minBytesPerSecond, rateWindow, idleTimeout, space);
  }

  public UploadLimits withMinRate(long bytesPerSecond, Duration window) {
    return new UploadLimits(threads, perClient, deadline, bytesPerSecond, window, idleTimeout, space);
  }

  public UploadLimits withSpace(StoreSpace value) {
    return new UploadLimits(threads, perClient, deadline, minBytesPerSecond, rateWindow, idleTimeout, value);
  }
}
