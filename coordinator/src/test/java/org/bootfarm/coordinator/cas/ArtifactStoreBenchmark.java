package org.bootfarm.coordinator.cas;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;

/**
 * Measures the artifact store's put and get throughput on this machine's disk for 1 MiB and 100 MiB
 * objects, beside the two floors a put cannot beat: sha256 of the bytes in memory, and writing them
 * to a file with one fsync. Prints a Markdown table. Run it through {@code bench/artifact-store.sh}.
 *
 * <p>Usage: {@code ArtifactStoreBenchmark WORK_DIR [SMALL_COUNT] [LARGE_COUNT]} (defaults 200 and 5).
 * Objects are random bytes, distinct per put, held in memory; reads go through the page cache
 * (the objects were just written), so get measures the store's read path, not the disk.
 */
public final class ArtifactStoreBenchmark {
  private static final int MIB = 1 << 20;
  private static final int CHUNK = 256 * 1024;

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ArtifactStoreBenchmark WORK_DIR [SMALL_COUNT] [LARGE_COUNT]");
      System.exit(2);
    }
    Path work = Path.of(args[0]);
    int smallCount = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int largeCount = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    deleteTree(work);
    Files.createDirectories(work);

    List<String> rows = new ArrayList<>();
    rows.addAll(run(work, "1 MiB", MIB, smallCount));
    rows.addAll(run(work, "100 MiB", 100 * MIB, largeCount));

    System.out.println("| object size | operation | objects | MiB/s | ms per object (median) |");
    System.out.println("|---|---|---|---|---|");
    rows.forEach(System.out::println);
    deleteTree(work);
  }

  private static List<String> run(Path work, String label, int size, int count) throws Exception {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    String[] ids = new String[count];
    for (int i = 0; i < count; i++) {
      stamp(data, i);
      ids[i] = Sha256.of(data);
    }
    List<String> rows = new ArrayList<>();

    // floor 1: sha256 in memory
    long[] hashNanos = new long[count];
    MessageDigest digest = Sha256.newDigest();
    for (int i = 0; i < count; i++) {
      stamp(data, i);
      long start = System.nanoTime();
      digest.update(data);
      digest.digest();
      hashNanos[i] = System.nanoTime() - start;
    }
    rows.add(row(label, "sha256 in memory (floor)", count, size, hashNanos));

    // floor 2: plain write + fsync of a file, no hashing, no rename
    Path raw = Files.createDirectories(work.resolve("raw-" + size));
    long[] writeNanos = new long[count];
    for (int i = 0; i < count; i++) {
      stamp(data, i);
      long start = System.nanoTime();
      try (FileChannel channel =
          FileChannel.open(
              raw.resolve("f" + i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        // in 256 KiB chunks, as the store writes: one huge heap buffer would make the JDK copy it
        // through an equally huge temporary direct buffer
        for (int offset = 0; offset < data.length; offset += CHUNK) {
          ByteBuffer buffer = ByteBuffer.wrap(data, offset, Math.min(CHUNK, data.length - offset));
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        }
        channel.force(true);
      }
      writeNanos[i] = System.nanoTime() - start;
    }
    rows.add(row(label, "write + fsync, no store (floor)", count, size, writeNanos));
    deleteTree(raw);

    Path dir = work.resolve("store-" + size);
    ArtifactStore.Options options =
        ArtifactStore.Options.defaults()
            .withMaxObjectBytes(Math.max(size, MIB))
            .withCollectMinAge(Duration.ZERO);
    try (ArtifactStore store = ArtifactStore.openAt(dir, options)) {
      long[] putNanos = new long[count];
      for (int i = 0; i < count; i++) {
        stamp(data, i);
        long start = System.nanoTime();
        ArtifactStore.PutResult result = store.put(ids[i], new ByteArrayInputStream(data));
        putNanos[i] = System.nanoTime() - start;
        if (!result.created()) {
          throw new IllegalStateException("object " + i + " was already stored");
        }
      }
      rows.add(row(label, "put (hash, write, fsync, rename)", count, size, putNanos));

      long[] againNanos = new long[count];
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        store.put(ids[i], new ByteArrayInputStream(data));
        againNanos[i] = System.nanoTime() - start;
      }
      rows.add(row(label, "put of a stored object (reads nothing)", count, 0, againNanos));

      long[] getNanos = new long[count];
      byte[] buffer = new byte[256 * 1024];
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        long read = 0;
        try (InputStream in = store.open(ids[i])) {
          for (int n; (n = in.read(buffer)) != -1; ) {
            read += n;
          }
        }
        getNanos[i] = System.nanoTime() - start;
        if (read != size) {
          throw new IllegalStateException("object " + i + " read back " + read + " bytes");
        }
      }
      rows.add(row(label, "get (open + read, page cache)", count, size, getNanos));

      long start = System.nanoTime();
      ArtifactStore.Collected collected = store.collect(Set.of());
      long collectNanos = System.nanoTime() - start;
      if (collected.objects() != count) {
        throw new IllegalStateException("collect freed " + collected + ", expected " + count);
      }
      long[] perObject = new long[count];
      Arrays.fill(perObject, collectNanos / count);
      rows.add(row(label, "collect (deletes every object)", count, 0, perObject));
    }
    deleteTree(dir);
    return rows;
  }

  /** Makes the buffer's content distinct per object index. */
  private static void stamp(byte[] data, int index) {
    ByteBuffer.wrap(data).putInt(0, index);
  }

  /** One table row; {@code size} 0 when bytes per second mean nothing for the operation. */
  private static String row(String label, String operation, int count, int size, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double totalSeconds = Arrays.stream(nanos).sum() / 1e9;
    double perObjectMs = sorted[sorted.length / 2] / 1e6;
    String mibPerSecond =
        size == 0 ? "—" : String.format("%.0f", count * (size / (double) MIB) / totalSeconds);
    return String.format(
        "| %s | %s | %d | %s | %.2f |", label, operation, count, mibPerSecond, perObjectMs);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
