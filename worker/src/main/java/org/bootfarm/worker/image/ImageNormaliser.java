package org.bootfarm.worker.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Removes from an image what identifies the machine or the moment it was built on, whichever
 * package manager built it: the machine-id (emptied, so systemd makes one at first boot), dbus's own
 * machine-id (made a link to systemd's, as Debian recommends), the ldconfig aux-cache, and the host's
 * hostname and resolv.conf. Package-manager leftovers are each
 * driver's {@code cleanImage}.
 */
public final class ImageNormaliser {
  private static final List<String> REMOVED = List.of(
      "/var/cache/ldconfig/aux-cache", "/etc/hostname", "/etc/resolv.conf");

  private ImageNormaliser() {}

  public static void normalise(Path rootfs) throws IOException {
    Path machineId = InRoot.resolve(rootfs, "/etc").resolve("machine-id");
    if (Files.isSymbolicLink(machineId)) {
      // dbus's postinst may link it to its own id: the empty file is systemd's first-boot marker
      Files.delete(machineId);
      Files.write(machineId, new byte[0]);
      Files.setPosixFilePermissions(machineId, PosixFilePermissions.fromString("r--r--r--"));
    } else if (Files.isRegularFile(machineId, LinkOption.NOFOLLOW_LINKS)) {
      Files.write(machineId, new byte[0]);
    }
    // dbus's postinst (dbus-uuidgen --ensure) writes a random id of its own: point it at systemd's instead
    Path dbusMachineId = InRoot.resolve(rootfs, "/var/lib/dbus").resolve("machine-id");
    if (Files.isRegularFile(dbusMachineId, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(dbusMachineId);
      Files.createSymbolicLink(dbusMachineId, Path.of("/etc/machine-id"));
    }
    for (String path : REMOVED) {
      Path file = InRoot.resolve(rootfs, path);
      if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(file);
      }
    }
  }
}
