package org.bootfarm.worker.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Resolves a path as a process chrooted into an image root would see it: symbolic links inside
 * the image, absolute ones included, are followed within the root and never out to the host.
 */
public final class InRoot {
  private static final int MAX_LINKS = 40;

  private InRoot() {}

  /**
   * The host path of {@code path} (absolute or relative to the image's /) inside {@code root}.
   * The result may not exist; links that would climb above the root stop at the root.
   */
  public static Path resolve(Path root, String path) throws IOException {
    Path current = root;
    java.util.Deque<String> pending = new java.util.ArrayDeque<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        pending.addLast(part);
      }
    }
    int links = 0;
    while (!pending.isEmpty()) {
      String part = pending.removeFirst();
      if (part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        current = current.equals(root) ? root : current.getParent();
        continue;
      }
      Path next = current.resolve(part);
      if (Files.isSymbolicLink(next)) {
        if (++links > MAX_LINKS) {
          throw new IOException("too many levels of symbolic links resolving " + path + " in " + root);
        }
        String target = Files.readSymbolicLink(next).toString();
        java.util.Deque<String> expanded = new java.util.ArrayDeque<>();
        for (String t : target.split("/")) {
          if (!t.isEmpty()) {
            expanded.addLast(t);
          }
        }
        while (!expanded.isEmpty()) {
          pending.addFirst(expanded.removeLast());
        }
        if (target.startsWith("/")) {
          current = root;
        }
        continue;
      }
      current = next;
    }
    return current;
  }

  /** Whether the path exists in the image, following the image's own links. */
  public static boolean exists(Path root, String path) throws IOException {
    return Files.exists(resolve(root, path), LinkOption.NOFOLLOW_LINKS);
  }
}
