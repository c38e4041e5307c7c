package org.bootfarm.worker.archive;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip as reproducible archives need it, the equivalent of {@code gzip -n}: Java's
 * {@link GZIPOutputStream} writes a bare 10-byte header (no file name, mtime 0, no extra
 * fields), so the compressed bytes depend only on the input, the level and the zlib the JVM
 * links (record the worker image in buildinfo: another deflate implementation, such as
 * zlib-ng, compresses differently).
 */
public final class GzipStreams {

  private GzipStreams() {}

  /** A gzip stream at {@code level} (1 fastest .. 9 smallest) with a 64 KiB buffer. */
  public static GZIPOutputStream open(OutputStream out, int level) throws IOException {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level must be 1..9, not " + level);
    }
    return new GZIPOutputStream(out, 1 << 16) {
      {
        def.setLevel(level);
      }
    };
  }
}
