// The initramfs gzip of a tree, one-stream (ReproducibleGzipOutputStream, bootfarm before issue 17)
// against ParallelGzipOutputStream on 1 and 2 threads, interleaved, 3 rounds, to a counting sink (no disk).
// Usage (after `mvn -o -q -B -pl worker -am package -DskipTests dependency:build-classpath
//   -Dmdep.outputFile=/tmp/cp.txt`):
//   java -cp worker/target/classes:protocol/target/classes:$(cat /tmp/cp.txt) bench/ParallelGzipBench.java TREE
// TREE: e.g. the rootfs bench/plain-pipeline.sh leaves in OUT_DIR/work/rootfs.
import java.io.*;
import java.nio.file.*;
import java.util.*;
import org.bootfarm.worker.archive.*;

public class ParallelGzipBench {
  public static void main(String[] a) throws Exception {
    Path root = Path.of(a[0]);
    List<TreeEntry> entries = ImageTree.scan(root, 1735689600L);
    ByteArrayOutputStream cpio = new ByteArrayOutputStream();
    InitramfsWriter.writeCpio(entries, cpio);
    byte[] input = cpio.toByteArray();
    System.out.println("cpio bytes " + input.length);
    for (int round = 0; round < 3; round++) {
      for (String kind : new String[] {"single-stream", "parallel-1", "parallel-2"}) {
        long t = System.nanoTime();
        CountingSink sink = new CountingSink();
        OutputStream gz = kind.equals("single-stream") ? new ReproducibleGzipOutputStream(sink, 6)
            : new ParallelGzipOutputStream(sink, 6, kind.endsWith("1") ? 1 : 2);
        for (int off = 0; off < input.length; off += 65536) gz.write(input, off, Math.min(65536, input.length - off));
        gz.close();
        System.out.printf("round %d %-14s %.2f s  %d bytes%n", round, kind, (System.nanoTime() - t) / 1e9, sink.n);
      }
    }
  }
  static class CountingSink extends OutputStream {
    long n;
    public void write(int b) { n++; }
    public void write(byte[] b, int o, int l) { n += l; }
  }
}
