package org.bootfarm.worker.boot;

import org.bootfarm.worker.FileTrees;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;

/**
 * Makes the disk a container VM boots into: an ext4 filesystem labelled {@code containerfs} on a
 * sparse file, holding a busybox container root (what {@code docker run busybox} would give). The
 * busybox binary is taken from the ISO's own initramfs, so the disk needs nothing but the ISO.
 */
public final class ContainerDisk {

  /** The label the bootstrap waits for. */
  public static final String LABEL = "containerfs";

  private static final long SIZE = 64L * 1024 * 1024;
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);
  private static final Set<String> BUSYBOX_PATHS = Set.of("./usr/bin/busybox", "./bin/busybox",
      "usr/bin/busybox", "bin/busybox");

  private ContainerDisk() {}

  /**
   * Creates {@code <dir>/containerfs.img}: busybox at /bin/busybox with a symlink per applet.
   *
   * @throws IOException when the ISO's initramfs holds no busybox, or xorriso or mkfs.ext4 fail
   */
  public static Path withBusyboxFrom(Path iso, Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path coreGz = dir.resolve("core.gz");
    Files.deleteIfExists(coreGz);
    QemuBoot.run(dir.resolve("xorriso-extract.log"), TOOL_TIMEOUT,
        "xorriso", "-osirrox", "on", "-indev", iso.toString(), "-extract", "/boot/core.gz", coreGz.toString());

    Path root = dir.resolve("container-root");
    FileTrees.delete(root);
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path busybox = bin.resolve("busybox");
    extractBusybox(coreGz, busybox);
    Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));

    Path applets = dir.resolve("busybox-applets.txt");
    QemuBoot.run(applets, TOOL_TIMEOUT, busybox.toString(), "--list");
    for (String applet : Files.readAllLines(applets)) {
      if (!applet.isBlank() && !applet.equals("busybox")) {
        Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
      }
    }
    Files.createDirectories(root.resolve("tmp"));

    Path image = dir.resolve("containerfs.img");
    Files.deleteIfExists(image);
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(SIZE); // sparse
    }
    QemuBoot.run(dir.resolve("mkfs.log"), TOOL_TIMEOUT,
        "mkfs.ext4", "-q", "-F", "-L", LABEL, "-d", root.toString(), image.toString());
    return image;
  }

  private static void extractBusybox(Path coreGz, Path target) throws IOException {
    try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(coreGz), 1 << 16));
         CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
      CpioArchiveEntry entry;
      while ((entry = cpio.getNextEntry()) != null) {
        if (entry.isRegularFile() && BUSYBOX_PATHS.contains(entry.getName())) {
          Files.copy(cpio, target, StandardCopyOption.REPLACE_EXISTING);
          return;
        }
      }
    }
    throw new IOException(coreGz + " (the ISO's /boot/core.gz) holds no regular file at any of "
        + List.copyOf(BUSYBOX_PATHS) + "; the bootstrap's packages must include busybox");
  }

}
