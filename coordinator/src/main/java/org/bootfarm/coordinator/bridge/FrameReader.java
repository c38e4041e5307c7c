package org.bootfarm.coordinator.bridge;

import io.vertx.core.buffer.Buffer;

/**
 * Cuts a connection's byte stream into the bridge's frames (a 4-byte big-endian length, then that
 * many bytes of UTF-8 JSON), never holding more than the frame limit: a frame over the limit is
 * reported once and its bytes are skipped as they arrive, so the frames after it are read as
 * usual. A length so large that the stream cannot be a bridge client's (an HTTP request read as a
 * length, say) is reported as a broken stream: nothing after it can be trusted.
 */
final class FrameReader {
  /** What the reader hands on, in stream order. */
  interface Frames {
    void frame(Buffer json);

    void oversized(long length, int limit);

    void broken(long length);
  }

  private final int maxFrameBytes;
  private final long maxSkipBytes;
  private final Frames frames;
  private Buffer pending = Buffer.buffer();
  private long skipping;
  private boolean broken;

  /**
   * @param maxFrameBytes the largest frame handed on
   * @param maxSkipBytes  the largest declared length still skipped; above it the stream is broken
   */
  FrameReader(int maxFrameBytes, long maxSkipBytes, Frames frames) {
    this.maxFrameBytes = maxFrameBytes;
    this.maxSkipBytes = maxSkipBytes;
    this.frames = frames;
  }

  void feed(Buffer data) {
    if (broken) {
      return;
    }
    int offset = 0;
    if (skipping > 0) {
      int skipped = (int) Math.min(skipping, data.length());
      skipping -= skipped;
      offset = skipped;
    }
    if (offset < data.length()) {
      pending.appendBuffer(data, offset, data.length() - offset);
    }
    while (!broken && skipping == 0 && pending.length() >= 4) {
      long length = pending.getUnsignedInt(0);
      if (length > maxFrameBytes) {
        if (length > maxSkipBytes) {
          broken = true;
          pending = Buffer.buffer();
          frames.broken(length);
          return;
        }
        frames.oversized(length, maxFrameBytes);
        long available = pending.length() - 4L;
        if (available >= length) {
          pending = pending.getBuffer((int) (4 + length), pending.length());
        } else {
          skipping = length - available;
          pending = Buffer.buffer();
        }
        continue;
      }
      if (pending.length() < 4 + length) {
        return;
      }
      Buffer json = pending.getBuffer(4, (int) (4 + length));
      pending = pending.getBuffer((int) (4 + length), pending.length());
      frames.frame(json);
    }
  }
}
