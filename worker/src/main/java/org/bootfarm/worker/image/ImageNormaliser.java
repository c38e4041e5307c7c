package org.bootfarm.worker.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Removes from an image what identifies the machine or the moment it was built on, whichever
 * package manager built it: the machine-id (emptied, so systemd makes one at first boot), the
 * ldconfig aux-cache, and the host's hostname and resolv.conf. Package-manager leftovers are each
 * driver's {@code cleanImage}.
 */
public final class ImageNormaliser {
  private static final List<String> REMOVED = List.of(
      "/var/cache/ldconfig/aux-cache", "/etc/hostname", "/etc/resolv.conf");

  private ImageNormaliser() {}

  public static void normalise(Path rootfs) throws IOException {
    Path machineId = InRoot.resolve(rootfs, "/etc/machine-id");
    if (Files.isRegularFile(machineId, LinkOption.NOFOLLOW_LINKS)) {
      Files.write(machineId, new byte[0]);
    }
    for (String path : REMOVED) {
      Path file = InRoot.resolve(rootfs, path);
      if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(file);
      }
    }
  }
}
