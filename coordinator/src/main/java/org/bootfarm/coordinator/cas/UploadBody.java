package org.bootfarm.coordinator.cas;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request body as a blocking stream for an upload thread: buffers arrive on the event loop,
 * the request is paused while too many bytes wait and resumed once the reader catches up. The reader
 * cuts the upload off ({@link UploadCutOffException}) past its deadline, when it sent nothing for the idle
 * timeout, or when fewer than the minimum rate's bytes arrived over a rate window in which it was never paused
 * (a pause is this side's doing, not the client's).
 */
final class UploadBody extends InputStream {
  /** Bytes waiting for the reader above which the request is paused, and below which it is resumed. */
  private static final long PAUSE_ABOVE_BYTES = 4L << 20;
  private static final long RESUME_BELOW_BYTES = 1L << 20;

  private static final Object END = new Object();

  private final HttpServerRequest request;
  private final Context context;
  private final String id;
  private final UploadLimits limits;
  private final long deadlineAt;
  private final LinkedBlockingQueue<Object> items = new LinkedBlockingQueue<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicBoolean paused = new AtomicBoolean();
  private volatile boolean pausedInWindow;
  private volatile long lastArrival = System.nanoTime();
  private volatile boolean ended;
  private long windowEnd;
  private long windowStartBytes;
  private Buffer current;
  private int position;
  private boolean finished;

  UploadBody(HttpServerRequest request, Context context, String id, UploadLimits limits) {
    this.request = request;
    this.context = context;
    this.id = id;
    this.limits = limits;
    long now = System.nanoTime();
    this.deadlineAt = now + limits.deadline().toNanos();
    this.windowEnd = now + limits.rateWindow().toNanos();
    request.handler(
        buffer -> {
          lastArrival = System.nanoTime();
          received.addAndGet(buffer.length());
          // pause before the buffer is queued: the reader takes it after it sees the pause,
          // so whichever take empties the queue resumes the request
          if (queuedBytes.addAndGet(buffer.length()) > PAUSE_ABOVE_BYTES
              && paused.compareAndSet(false, true)) {
            pausedInWindow = true;
            request.pause();
          }
          items.add(buffer);
        });
    request.endHandler(
        v -> {
          ended = true;
          items.add(END);
        });
    request.exceptionHandler(items::add);
  }

  boolean ended() {
    return ended;
  }

  /** Drops whatever of the body is still to come (the store did not need it). */
  void discardRest() {
    context.runOnContext(
        v -> {
          if (!request.isEnded()) {
            request.handler(buffer -> {});
            paused.set(false);
            request.resume();
          }
        });
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (current == null || position == current.length()) {
      if (finished) {
        return -1;
      }
      Object next = next();
      if (next == END) {
        finished = true;
        return -1;
      }
      if (next instanceof Throwable t) {
        throw new IOException("upload broke off: " + t.getMessage(), t);
      }
      current = (Buffer) next;
      position = 0;
      if (queuedBytes.addAndGet(-current.length()) < RESUME_BELOW_BYTES && paused.get()) {
        context.runOnContext(
            v -> {
              if (paused.compareAndSet(true, false)) {
                request.resume();
              }
            });
      }
    }
    int n = Math.min(len, current.length() - position);
    current.getBytes(position, position + n, b, off);
    position += n;
    return n;
  }

  /** The next buffer, end or failure; waits at most until the deadline, the window's end or the idle timeout. */
  private Object next() throws IOException {
    long idle = limits.idleTimeout().toNanos();
    while (true) {
      long now = System.nanoTime();
      checkTimes(now);
      Object next = items.poll();
      if (next != null) {
        return next;
      }
      if (now - lastArrival >= idle) {
        throw new UploadCutOffException(UploadCutOffException.Reason.IDLE, "upload of " + id + " sent nothing"
            + " for " + limits.idleTimeout().toSeconds() + " s; cut off, nothing was stored. Send it again");
      }
      long wait = Math.min(Math.min(deadlineAt, windowEnd), lastArrival + idle) - now;
      try {
        next = items.poll(Math.max(wait, 1_000_000), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("upload interrupted", e);
      }
      if (next != null) {
        return next;
      }
    }
  }

  /** Cuts the upload off past its deadline, or at a window's end when too few bytes arrived in it. */
  private void checkTimes(long now) throws UploadCutOffException {
    if (now - deadlineAt >= 0) {
      throw new UploadCutOffException(UploadCutOffException.Reason.DEADLINE, "upload of " + id + " took longer"
          + " than the " + limits.deadline().toSeconds() + " s an upload may take (--upload-deadline) with "
          + received.get() + " bytes sent; cut off, nothing was stored. Send it over a faster link, or raise"
          + " --upload-deadline");
    }
    if (now - windowEnd < 0) {
      return;
    }
    long got = received.get();
    long window = limits.rateWindow().toSeconds() == 0 ? 1 : limits.rateWindow().toSeconds();
    long wanted = limits.minBytesPerSecond() * window;
    if (limits.minBytesPerSecond() > 0 && !pausedInWindow && !paused.get() && got - windowStartBytes < wanted) {
      throw new UploadCutOffException(UploadCutOffException.Reason.TOO_SLOW, "upload of " + id + " sent "
          + (got - windowStartBytes) + " bytes in the last " + window + " s, under the minimum of "
          + limits.minBytesPerSecond() + " bytes/s (--upload-min-rate); cut off, nothing was stored. Send it"
          + " over a faster link, or lower --upload-min-rate");
    }
    windowStartBytes = got;
    windowEnd = now + limits.rateWindow().toNanos();
    pausedInWindow = paused.get();
  }
}
