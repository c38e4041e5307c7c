package org.bootfarm.worker.stage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.archive.ImageTree;
import org.bootfarm.worker.archive.InitramfsWriter;
import org.bootfarm.worker.image.ImageDirectories;
import org.bootfarm.worker.image.ImageRoot;
import org.bootfarm.worker.image.KernelTree;
import org.bootfarm.worker.iso.BootConfig;
import org.bootfarm.worker.iso.IsoWriter;
import org.bootfarm.worker.record.TreeManifest;

/**
 * What every target's assembly ends with, done one way for all of them: the staged rootfs as the gzip'd
 * newc initramfs {@code /boot/core.gz}, the kernel beside it, the isolinux ISO booting both with the
 * given command line, and the manifest of the initramfs and the ISO.
 */
final class BootMedia {
  private static final int INITRAMFS_GZIP_LEVEL = 6;

  /** The outputs of {@link #write}: the ISO's and the initramfs's sha256, and the manifest. */
  record Written(String isoSha256, String initramfsSha256, Manifest manifest) {}

  private BootMedia() {}

  /**
   * Writes {@code out/<isoName>} from the context's rootfs and bootfs.
   *
   * @param stage       the stage name log lines go under
   * @param volumeId    the ISO volume id (from inputs, never the clock)
   * @param commandLine the kernel command line
   */
  static Written write(StageContext ctx, String stage, String isoName, String volumeId, String commandLine)
      throws BuildFailure, IOException {
    ImageRoot rootfs = ctx.rootfs();
    ImageRoot bootfs = ctx.bootfs();
    Path iso = ctx.isoTree();
    ImageDirectories.create(iso);
    ImageDirectories.create(iso.resolve("boot"));
    ctx.log().line(stage, "writing initramfs boot/core.gz");
    InitramfsWriter.Written initramfs = InitramfsWriter.writeHashed(rootfs.hostPath(), iso.resolve("boot/core.gz"),
        ctx.sourceDateEpoch(), INITRAMFS_GZIP_LEVEL);
    String initramfsSha256 = initramfs.sha256();
    try (InputStream kernel = bootfs.open(KernelTree.BOOTFS_KERNEL)) {
      Files.copy(kernel, iso.resolve("boot/vmlinuz64"));
    }
    Files.setPosixFilePermissions(iso.resolve("boot/vmlinuz64"), PosixFilePermissions.fromString("rw-r--r--"));

    Path out = ctx.outputDir().resolve(isoName);
    ctx.log().line(stage, "writing " + isoName);
    BootConfig boot = new BootConfig("/boot/vmlinuz64", "/boot/core.gz", commandLine);
    String isoSha256 = IsoWriter.write(iso, out, boot, volumeId, ctx.sourceDateEpoch());

    // the files were hashed while they were archived: the initramfs's and core.gz are not read again
    Manifest manifest = TreeManifest.of("initramfs", initramfs.entries(), initramfs.fileSha256())
        .merge(TreeManifest.of("iso", ImageTree.scan(iso, ctx.sourceDateEpoch()),
            java.util.Map.of("boot/core.gz", initramfsSha256)));
    return new Written(isoSha256, initramfsSha256, manifest);
  }

  /**
   * The kernel command line booting {@code init} from the initramfs: the serial console a VM logs to
   * (the last console= so init and what it starts write there); only kernel errors, which keeps a TCG
   * boot fast; and a panic reboots (qemu -no-reboot then exits) instead of hanging.
   */
  static String commandLine(String init) {
    return "rdinit=" + init + " console=ttyS0,115200n8 loglevel=3 panic=1";
  }

  /** ISO volume id: upper-case, at most 32 characters, from a prefix and the repo name. */
  static String volumeId(String prefix, String repoName) {
    String id = (prefix + "-" + repoName).toUpperCase().replaceAll("[^A-Z0-9_-]", "_");
    return id.length() > 32 ? id.substring(0, 32) : id;
  }

  /** A file bootfarm ships in its jar under {@code org/bootfarm/worker/<dir>/}. */
  static byte[] asset(String dir, String name) throws IOException {
    String resource = "/org/bootfarm/worker/" + dir + "/" + name;
    try (InputStream in = BootMedia.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("bootfarm jar lacks its resource " + resource + ": rebuild the jar");
      }
      return in.readAllBytes();
    }
  }
}
