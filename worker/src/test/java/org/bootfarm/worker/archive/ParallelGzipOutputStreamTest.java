package org.bootfarm.worker.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parallel gzip writes the same bytes on 1 and on 4 threads, whatever the sizes of the writes and
 * wherever the input ends against the block size, and java.util.zip and the system's gunzip read back
 * exactly the input.
 */
@Tag("unit")
class ParallelGzipOutputStreamTest {
  private static final int BLOCK = ParallelGzipOutputStream.BLOCK_SIZE;

  @TempDir Path temp;

  /** Half random bytes, half text-like repeats: matches across block boundaries use the dictionary. */
  private static byte[] input(int size, long seed) {
    byte[] bytes = new byte[size];
    Random random = new Random(seed);
    for (int i = 0; i < size; i++) {
      bytes[i] = (i / 4096) % 2 == 0 ? (byte) random.nextInt(256) : (byte) ("bootfarm " + (i % 97)).charAt(i % 9);
    }
    return bytes;
  }

  /** Compresses {@code input} on {@code threads} threads, written in pieces of varying size. */
  private static byte[] gzip(byte[] input, int threads, int level, long seed) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gzip = new ParallelGzipOutputStream(out, level, threads)) {
      Random random = new Random(seed);
      int off = 0;
      while (off < input.length) {
        int n = Math.min(input.length - off, 1 + random.nextInt(3 * BLOCK / 2));
        if (n == 1) {
          gzip.write(input[off]);
        } else {
          gzip.write(input, off, n);
        }
        off += n;
      }
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @Test
  void oneAndFourThreadsWriteTheSameBytesThatReadBackToTheInput() throws Exception {
    for (int size : new int[] {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 7 * BLOCK + 12345}) {
      byte[] input = input(size, size);
      byte[] one = gzip(input, 1, 6, 1);
      // different write sizes too: only the input decides the bytes
      byte[] four = gzip(input, 4, 6, 2);
      assertArrayEquals(one, four, "1 and 4 threads differ for " + size + " bytes of input");
      assertArrayEquals(input, gunzip(one), "java.util.zip does not read back " + size + " bytes");
    }
  }

  @Test
  void theSystemGunzipReadsItBack() throws Exception {
    byte[] input = input(5 * BLOCK + 777, 42);
    Path gz = temp.resolve("data.gz");
    Files.write(gz, gzip(input, 4, 6, 3));
    Process gunzip = new ProcessBuilder("gzip", "-d", "-c", gz.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] read = gunzip.getInputStream().readAllBytes();
    assertEquals(0, gunzip.waitFor(), "gzip -d refused the stream");
    assertArrayEquals(input, read);
  }

  @Test
  void theHeaderCarriesNoNameNoTimeAndUnixAsItsSystem() throws Exception {
    byte[] gz = gzip(input(100, 1), 2, 6, 1);
    assertArrayEquals(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, java.util.Arrays.copyOf(gz, 10));
  }

  @Test
  void aLevelOutsideOneToNineIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ParallelGzipOutputStream(new ByteArrayOutputStream(), 0, 1));
    assertEquals("gzip level must be 1..9, not 0", e.getMessage());
  }
}
