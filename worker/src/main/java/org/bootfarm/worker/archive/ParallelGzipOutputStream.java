package org.bootfarm.worker.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Gzip on several cores whose bytes do not depend on how many: the input is cut into blocks of
 * {@link #BLOCK_SIZE} bytes, each block is deflated on its own with the previous 32 KiB of input
 * as its preset dictionary and ends with a sync flush (the last one finishes the stream), and the
 * blocks are joined in order under one gzip header (as {@link ReproducibleGzipOutputStream}: no name,
 * MTIME 0, OS 3) and one CRC-32 and length trailer — what pigz does. A block's bytes depend only on
 * its input, its dictionary and the level, never on the thread that deflated it, so one thread and
 * sixteen write the same file. Any gunzip reads it. The bytes differ from a one-stream deflate's (a
 * sync marker and a matcher restart every block), the size hardly (debian-12's initramfs: 0.1 % smaller).
 */
public final class ParallelGzipOutputStream extends OutputStream {
  /** Input bytes per independently deflated block (pigz's default). Part of the format: never vary it. */
  public static final int BLOCK_SIZE = 128 * 1024;
  private static final int DICTIONARY = 32 * 1024;
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

  private final OutputStream out;
  private final int level;
  private final ExecutorService pool;
  private final int maxInFlight;
  private final ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
  private final CRC32 crc = new CRC32();
  private long length;
  private byte[] block = new byte[BLOCK_SIZE];
  private int filled;
  private byte[] dictionary;
  private boolean finished;
  private boolean closed;

  /**
   * A gzip stream at {@code level} (1 fastest .. 9 smallest) deflating on {@code threads} threads
   * (1: in the writing thread).
   */
  public ParallelGzipOutputStream(OutputStream out, int level, int threads) throws IOException {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level must be 1..9, not " + level);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    }
    this.out = out;
    this.level = level;
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "gzip-block");
      thread.setDaemon(true);
      return thread;
    });
    this.maxInFlight = threads * 2;
    out.write(HEADER);
  }

  /** The threads a worker deflates on: every core the JVM may use. */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors();
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (finished) {
      throw new IOException("gzip stream already finished");
    }
    crc.update(b, off, len);
    length += len;
    while (len > 0) {
      if (filled == BLOCK_SIZE) {
        submit(false);
      }
      int n = Math.min(len, BLOCK_SIZE - filled);
      System.arraycopy(b, off, block, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  /** Hands the current block to a thread (or deflates it here) and starts a new one. */
  private void submit(boolean last) throws IOException {
    byte[] input = block;
    int size = filled;
    byte[] preset = dictionary;
    // only the last block can be short, and nothing follows it
    dictionary = size == BLOCK_SIZE ? Arrays.copyOfRange(input, size - DICTIONARY, size) : null;
    FutureTask<byte[]> task = new FutureTask<>(() -> deflate(input, size, preset, last, level));
    if (pool == null) {
      task.run();
    } else {
      pool.execute(task);
    }
    inFlight.add(task);
    block = new byte[BLOCK_SIZE];
    filled = 0;
    while (inFlight.size() > (last ? 0 : maxInFlight)) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    Future<byte[]> oldest = inFlight.remove();
    try {
      out.write(oldest.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      throw new IOException("compressing a gzip block failed: " + e.getCause(), e.getCause());
    }
  }

  /** One block as raw deflate: sync-flushed, or finishing the stream when it is the last. */
  static byte[] deflate(byte[] input, int size, byte[] preset, boolean last, int level) {
    Deflater deflater = new Deflater(level, true);
    try {
      if (preset != null) {
        deflater.setDictionary(preset);
      }
      deflater.setInput(input, 0, size);
      ByteArrayOutputStream compressed = new ByteArrayOutputStream(size / 2 + 64);
      byte[] buffer = new byte[64 * 1024];
      if (last) {
        deflater.finish();
        while (!deflater.finished()) {
          int n = deflater.deflate(buffer);
          compressed.write(buffer, 0, n);
        }
      } else {
        int n;
        do {
          n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
          compressed.write(buffer, 0, n);
        } while (n == buffer.length);
      }
      return compressed.toByteArray();
    } finally {
      deflater.end();
    }
  }

  /** Deflates what is left, ends the stream and writes the CRC-32 and length trailer (once). */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    submit(true);
    long c = crc.getValue();
    long n = length & 0xFFFFFFFFL;
    out.write(new byte[] {
        (byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
        (byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
    finished = true;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /** Stops the threads without finishing the stream: for a writer that failed half way. */
  void stopThreads() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** Finishes the stream, stops the threads and closes the underlying stream. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      finish();
    } finally {
      stopThreads();
      out.close();
    }
  }
}
