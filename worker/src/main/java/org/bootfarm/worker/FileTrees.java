package org.bootfarm.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Deletes directory trees, the one way the worker does it: depth first, never following a symbolic
 * link out of the tree (a link is removed, not its target), a missing path is no error; and places a
 * file in a second directory without copying its bytes when the file system allows.
 */
public final class FileTrees {
  private FileTrees() {}

  /** Deletes {@code path} and everything under it. */
  public static void delete(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Makes {@code target} a hard link to {@code source}, or a copy (attributes kept) where the two are on
   * different file systems or links are not supported: cached package files placed where a tool reads them.
   */
  public static void linkOrCopy(Path source, Path target) throws IOException {
    try {
      Files.createLink(target, source);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(source, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  /**
   * Deletes what it can of a scratch tree and says nothing: for clean-ups after a build, where a
   * leftover wastes disk but harms no result.
   */
  public static void deleteQuietly(Path path) {
    try {
      delete(path);
    } catch (IOException e) {
      // the caller's scratch space; what is left is removed with the next clean-up of its parent
    }
  }
}
