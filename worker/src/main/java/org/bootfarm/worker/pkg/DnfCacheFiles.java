package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;

/**
 * The package files of a repo's dnf cache ({@code <repo dir>/packages/*}): a snapshot before a dnf run, what the run
 * added or rewrote since, and their removal after a failed run, so only files dnf verified stay in the cache.
 */
final class DnfCacheFiles {
  /** Size and modification time of a cached file: a change means dnf (re)wrote it. */
  record FileState(long size, long modified) {}

  private DnfCacheFiles() {}

  /** Every package file in {@code cache} with its state now. */
  static Map<Path, FileState> snapshot(Path cache) throws BuildFailure {
    Map<Path, FileState> files = new HashMap<>();
    if (!Files.isDirectory(cache)) {
      return files;
    }
    try (Stream<Path> paths = Files.walk(cache)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        if (Files.isRegularFile(path) && path.getParent() != null
            && path.getParent().getFileName().toString().equals("packages")) {
          files.put(path, new FileState(Files.size(path), Files.getLastModifiedTime(path).toMillis()));
        }
      }
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot read the package cache " + cache + ": " + e.getMessage(), e);
    }
    return files;
  }

  /** The files of snapshot {@code after} that are new or changed since snapshot {@code before}, sorted. */
  static List<Path> added(Map<Path, FileState> after, Map<Path, FileState> before) {
    return after.entrySet().stream().filter(e -> !e.getValue().equals(before.get(e.getKey())))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /**
   * After a failed run: deletes every package file the run added or rewrote in the cache, and every
   * cached file of a package named in an integrity failure, so only verified files stay.
   */
  static void discard(PackageSession session, Path cache, List<Path> added, Set<String> badFiles) {
    Set<Path> doomed = new TreeSet<>(added);
    doomed.addAll(named(cache, badFiles));
    for (Path path : doomed) {
      try {
        Files.deleteIfExists(path);
        session.log().line(session.stage(), "dnf: removed " + path + " from the cache (unverified after a failed run)");
      } catch (IOException e) {
        session.log().line(session.stage(), "dnf: could not remove " + path + ": " + e.getMessage());
      }
    }
  }

  private static List<Path> named(Path cache, Set<String> fileNames) {
    try {
      return snapshot(cache).keySet().stream().filter(p -> fileNames.contains(p.getFileName().toString())).toList();
    } catch (BuildFailure e) {
      return List.of();
    }
  }
}
