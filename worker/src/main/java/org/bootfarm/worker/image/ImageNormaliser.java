package org.bootfarm.worker.image;

import java.io.IOException;
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

  public static void normalise(ImageRoot rootfs) throws IOException {
    if (rootfs.isSymbolicLink("/etc/machine-id")) {
      // dbus's postinst may link it to its own id: the empty file is systemd's first-boot marker
      rootfs.write("/etc/machine-id", new byte[0], "r--r--r--");
    } else if (rootfs.isRegularFile("/etc/machine-id")) {
      rootfs.rewrite("/etc/machine-id", new byte[0]);
    }
    // dbus's postinst (dbus-uuidgen --ensure) writes a random id of its own: point it at systemd's instead
    if (!rootfs.isSymbolicLink("/var/lib/dbus/machine-id") && rootfs.isRegularFile("/var/lib/dbus/machine-id")) {
      rootfs.symlink("/var/lib/dbus/machine-id", "/etc/machine-id");
    }
    for (String path : REMOVED) {
      if (!rootfs.isSymbolicLink(path) && rootfs.isRegularFile(path)) {
        rootfs.delete(path);
      }
    }
  }
}
