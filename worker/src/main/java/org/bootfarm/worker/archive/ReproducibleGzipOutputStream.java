package org.bootfarm.worker.archive;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Gzip as reproducible archives need it, the equivalent of {@code gzip -n}: a fixed 10-byte
 * header (deflate, no flags so no file name or comment, MTIME 0, XFL 0, OS 3 = Unix), raw
 * deflate, CRC-32 and length. Written here rather than with {@link java.util.zip.GZIPOutputStream}
 * because that one's OS byte changed between JDK releases (0 before JDK 16, 255 since), which
 * would make the archive depend on the worker's JDK. The compressed bytes still depend on the
 * level and on the zlib the JVM links (Debian's OpenJDK uses the system zlib): the worker image
 * belongs in buildinfo.
 */
public final class ReproducibleGzipOutputStream extends DeflaterOutputStream {

  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

  private final CRC32 crc = new CRC32();
  private long length;
  private boolean finished;

  /** A gzip stream at {@code level} (1 fastest .. 9 smallest) with a 64 KiB buffer. */
  public ReproducibleGzipOutputStream(OutputStream out, int level) throws IOException {
    super(out, new Deflater(checkedLevel(level), true), 1 << 16);
    out.write(HEADER);
  }

  private static int checkedLevel(int level) {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level must be 1..9, not " + level);
    }
    return level;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    super.write(b, off, len);
    crc.update(b, off, len);
    length += len;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  /** Finishes the deflate stream and writes the CRC-32 and length trailer (once). */
  @Override
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    super.finish();
    long c = crc.getValue();
    long n = length & 0xFFFFFFFFL;
    out.write(
        new byte[] {
          (byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
          (byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)
        });
    finished = true;
  }

  @Override
  public void close() throws IOException {
    try {
      finish();
    } finally {
      def.end();
      out.close();
    }
  }
}
