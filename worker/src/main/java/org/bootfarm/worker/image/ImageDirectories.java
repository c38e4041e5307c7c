package org.bootfarm.worker.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Creates directories that may end up in an image with mode 0755, whatever the JVM's umask is:
 * {@link Files#createDirectories} applies the umask, so an operator with umask 077 would otherwise
 * build a different image.
 */
public final class ImageDirectories {
  private static final Set<PosixFilePermission> MODE_0755 = PosixFilePermissions.fromString("rwxr-xr-x");

  private ImageDirectories() {}

  /** Creates {@code dir} and its missing parents, each new one with mode 0755; returns {@code dir}. */
  public static Path create(Path dir) throws IOException {
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
      missing.push(p);
    }
    Files.createDirectories(dir);
    for (Path created : missing) {
      Files.setPosixFilePermissions(created, MODE_0755);
    }
    return dir;
  }
}
