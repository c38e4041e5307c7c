package org.bootfarm.worker.boot;

import org.bootfarm.worker.FileTrees;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes the disk a container VM boots into: an ext4 filesystem labelled {@code containerfs} on a
 * sparse file, holding a busybox container root (what {@code docker run busybox} would give). The
 * busybox binary is taken from the ISO's own initramfs, so the disk needs nothing but the ISO, or
 * given as a file.
 */
public final class ContainerDisk {

  /** The label the bootstrap waits for. */
  public static final String LABEL = "containerfs";

  private static final long SIZE = 64L * 1024 * 1024;
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);
  private static final List<String> BUSYBOX_PATHS = List.of("usr/bin/busybox", "bin/busybox");
  private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

  private ContainerDisk() {}

  /**
   * Creates {@code <dir>/containerfs.img} with the busybox of the ISO's initramfs.
   *
   * @throws IOException when the ISO's initramfs holds no busybox program, or xorriso or mkfs.ext4 fail
   */
  public static Path withBusyboxFrom(Path iso, Path dir) throws IOException, InterruptedException {
    Map<String, CpioEntries.Entry> found = CpioEntries.ofInitramfs(iso, dir, Set.copyOf(BUSYBOX_PATHS));
    CpioEntries.Entry busybox = BUSYBOX_PATHS.stream().map(found::get)
        .filter(e -> e != null && e.type() == CpioEntries.Type.FILE).findFirst()
        .orElseThrow(() -> new IOException(dir.resolve("core.gz") + " (the ISO's /boot/core.gz) holds no regular file"
            + " at any of " + BUSYBOX_PATHS + "; the bootstrap's packages must include busybox"));
    Path extracted = dir.resolve("busybox-from-iso");
    Files.write(extracted, busybox.content());
    return withBusybox(extracted, dir);
  }

  /**
   * Creates {@code <dir>/containerfs.img}: {@code busybox} at /bin/busybox with a symlink per applet.
   * The applets are listed by running it ({@code busybox --list}) on this machine, so it must be an
   * ELF program: anything else (an image whose multi-call binary was overwritten by a script) is
   * refused rather than run.
   *
   * @throws IOException when {@code busybox} is no ELF program, or it or mkfs.ext4 fail
   */
  public static Path withBusybox(Path busybox, Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    byte[] start;
    try (var in = Files.newInputStream(busybox)) {
      start = in.readNBytes(16);
    }
    if (start.length < 4 || !Arrays.equals(Arrays.copyOf(start, 4), ELF_MAGIC)) {
      throw new IOException(busybox + " is no ELF program (it begins with \""
          + new String(start, StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?")
          + "\"): the image's busybox was overwritten; refusing to run it on this machine to list its applets");
    }
    Path root = dir.resolve("container-root");
    FileTrees.delete(root);
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path target = bin.resolve("busybox");
    Files.copy(busybox, target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));

    Path applets = dir.resolve("busybox-applets.txt");
    QemuBoot.run(applets, TOOL_TIMEOUT, target.toString(), "--list");
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
}
