package org.bootfarm.worker.pkg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Lock;

/**
 * What archiving a build's inputs costs on the building machine, for bench/inputs-archive.sh: the time to find
 * the locked package files by content in a warm cache ({@link PackageFiles#find}, what a driver without an
 * exact map does) and to hash them once more (what checking them against the store costs), and their bytes.
 *
 * <p>Usage: {@code InputsArchiveBenchmark BUILDINFO SUFFIX ROOT...}; prints one tab-separated line:
 * packages, bytes, files under the roots, find ms, hash ms.
 */
public final class InputsArchiveBenchmark {
  private InputsArchiveBenchmark() {}

  public static void main(String[] args) throws Exception {
    BuildInfo info = WireJson.read(Files.readString(Path.of(args[0])), BuildInfo.class);
    Lock lock = info.lock();
    List<Path> roots = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      roots.add(Path.of(args[i]));
    }
    long candidates = 0;
    for (Path root : roots) {
      try (var walk = Files.walk(root)) {
        candidates += walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(args[1])).count();
      }
    }
    long start = System.nanoTime();
    Map<String, Path> files = PackageFiles.find(lock, args[1], roots);
    long findMs = (System.nanoTime() - start) / 1_000_000;
    long bytes = 0;
    start = System.nanoTime();
    for (Path file : files.values()) {
      Sha256.of(file);
      bytes += Files.size(file);
    }
    long hashMs = (System.nanoTime() - start) / 1_000_000;
    System.out.println(lock.packages().size() + "\t" + bytes + "\t" + candidates + "\t" + findMs + "\t" + hashMs);
  }
}
