package org.bootfarm.worker.iso;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.archive.InitramfsWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("tool")
class IsoWriterTest {

  static final long SDE = 1_700_000_000L;
  static final BootConfig BOOT =
      new BootConfig("/boot/vmlinuz64", "/boot/core.gz", "rdinit=/bin/init console=ttyS0 quiet");

  @TempDir Path temp;

  /** An ISO tree with a stand-in kernel and a real initramfs, made under {@code umask}. */
  private Path isoTree(String dir, String umask, String lateMtime) throws Exception {
    Path rootfs = temp.resolve(dir + "-rootfs");
    Path tree = temp.resolve(dir);
    sh("umask " + umask + " && mkdir -p " + rootfs + "/bin " + tree + "/boot"
        + " && printf '#!/bin/sh\\necho init\\n' > " + rootfs + "/bin/init"
        + " && chmod 0755 " + rootfs + " " + rootfs + "/bin " + rootfs + "/bin/init"
        + " && head -c 300000 /dev/urandom > /dev/null"
        + " && printf 'not really a kernel\\n' > " + tree + "/boot/vmlinuz64"
        + " && chmod 0755 " + tree + " " + tree + "/boot && chmod 0644 " + tree + "/boot/vmlinuz64"
        + " && touch -d " + lateMtime + " " + tree + "/boot/vmlinuz64 " + rootfs + "/bin/init");
    InitramfsWriter.write(rootfs, tree.resolve("boot/core.gz"), SDE, 6);
    return tree;
  }

  @Test
  void isoContainsKernelInitrdAndBootsFromIsolinux() throws Exception {
    Path tree = isoTree("tree", "022", "@1800000000");
    Path iso = temp.resolve("out/bootstrap.iso");
    String sha = IsoWriter.write(tree, iso, BOOT, "BOOTSTRAP", SDE);
    assertEquals(Sha256.of(iso), sha);

    String files = sh("xorriso -indev " + iso + " -find / 2>/dev/null");
    for (String path :
        List.of("/boot/vmlinuz64", "/boot/core.gz", "/isolinux/isolinux.bin",
            "/isolinux/ldlinux.c32", "/isolinux/isolinux.cfg", "/isolinux/boot.cat")) {
      assertTrue(files.contains("'" + path + "'"), path + " in " + files);
    }
    String elTorito = sh("xorriso -indev " + iso + " -report_el_torito plain 2>/dev/null");
    assertTrue(elTorito.contains("El Torito boot img :   1  BIOS  y   none"), elTorito);
    assertTrue(elTorito.contains("El Torito img path :   1  /isolinux/isolinux.bin"), elTorito);
    assertTrue(elTorito.contains("El Torito cat path : /isolinux/boot.cat"), elTorito);

    Path cfg = temp.resolve("isolinux.cfg");
    Path core = temp.resolve("core.gz");
    sh("xorriso -osirrox on -indev " + iso + " -extract /isolinux/isolinux.cfg " + cfg
        + " -extract /boot/core.gz " + core + " 2>/dev/null");
    String text = Files.readString(cfg, StandardCharsets.UTF_8);
    assertTrue(text.contains("KERNEL /boot/vmlinuz64\n"), text);
    assertTrue(text.contains("INITRD /boot/core.gz\n"), text);
    assertTrue(text.contains("APPEND rdinit=/bin/init console=ttyS0 quiet\n"), text);
    assertEquals(Sha256.of(tree.resolve("boot/core.gz")), Sha256.of(core));

    assertTrue(IsoWriter.xorrisoVersion().matches("xorriso \\d+\\.\\d+\\.\\d+ .*"));
    String pvd = sh("xorriso -indev " + iso + " -pvd_info 2>/dev/null");
    assertTrue(pvd.contains("Volume Id    : BOOTSTRAP"), pvd);
    assertTrue(pvd.contains("2023111422132000"), "volume dates from SOURCE_DATE_EPOCH: " + pvd);
    String listing = sh("xorriso -indev " + iso + " -lsdl /boot/vmlinuz64 2>/dev/null");
    assertTrue(listing.contains("Nov 14  2023 '/boot/vmlinuz64'"), "mtime clamped: " + listing);
  }

  @Test
  void isoIsIdenticalAcrossTwoRuns() throws Exception {
    Path a = isoTree("a", "022", "@1800000000");
    Path b = isoTree("somewhere/else/b", "077", "@1900000000");
    String first = IsoWriter.write(a, temp.resolve("a.iso"), BOOT, "BOOTSTRAP", SDE);
    String again = IsoWriter.write(a, temp.resolve("a2.iso"), BOOT, "BOOTSTRAP", SDE);
    String other = IsoWriter.write(b, temp.resolve("b.iso"), BOOT, "BOOTSTRAP", SDE);
    assertEquals(first, again, "same tree, second run");
    assertEquals(first, other, "same content in another directory, umask and mtimes");
    String otherEpoch = IsoWriter.write(a, temp.resolve("c.iso"), BOOT, "BOOTSTRAP", SDE + 1);
    assertFalse(first.equals(otherEpoch), "the epoch is an input");
  }

  @Test
  void missingKernelIsNamed() throws Exception {
    Path tree = isoTree("tree", "022", "@1800000000");
    Files.delete(tree.resolve("boot/vmlinuz64"));
    IOException e =
        assertThrows(
            IOException.class,
            () -> IsoWriter.write(tree, temp.resolve("x.iso"), BOOT, "BOOTSTRAP", SDE));
    assertTrue(e.getMessage().contains("/boot/vmlinuz64"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("x.iso")));
  }

  @Test
  void missingIsolinuxNamesFileAndDebianPackage() throws Exception {
    Path tree = isoTree("tree", "022", "@1800000000");
    Path absent = temp.resolve("no/isolinux.bin");
    BuildFailure e =
        assertThrows(
            BuildFailure.class,
            () ->
                IsoWriter.write(
                    tree, temp.resolve("x.iso"), BOOT, "BOOTSTRAP", SDE, absent,
                    IsoWriter.LDLINUX_C32));
    assertEquals(BuildFailure.Kind.TOOL, e.kind());
    assertTrue(e.getMessage().contains(absent.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'isolinux'"), e.getMessage());
  }

  @Test
  void failedXorrisoLeavesNoPartialIso() throws Exception {
    Path tree = isoTree("tree", "022", "@1800000000");
    Files.writeString(temp.resolve("out.iso"), "previous");
    // xorriso refuses an empty file as El Torito boot image
    Path emptyBootImage = Files.createFile(temp.resolve("empty-isolinux.bin"));
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                IsoWriter.write(
                    tree, temp.resolve("out.iso"), BOOT, "BOOTSTRAP", SDE, emptyBootImage,
                    IsoWriter.LDLINUX_C32));
    assertTrue(e.getMessage().contains("invalid file as boot image"), e.getMessage());
    assertEquals("previous", Files.readString(temp.resolve("out.iso")));
    try (var left = Files.list(temp)) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".partial")));
    }
  }

  /**
   * Boots the ISO under qemu (TCG) with a real Debian kernel and a busybox initramfs whose
   * init prints its command line and powers off: proves isolinux finds the kernel and the
   * initramfs by the configured paths, passes the append line, and that the kernel unpacks
   * our cpio (device node included).
   */
  @Test
  @Tag("boot")
  void isoBootsUnderQemuFromIsolinuxToRdinit() throws Exception {
    Path kernel = findDebianKernel();
    Assumptions.assumeTrue(
        kernel != null,
        "no kernel to boot: set BOOTFARM_TEST_KERNEL to a bzImage or keep a"
            + " linux-image-*-cloud-amd64 .deb in /var/cache/apt/archives");
    Path rootfs = temp.resolve("rootfs");
    Path tree = temp.resolve("iso");
    sh("mkdir -p " + rootfs + "/bin " + rootfs + "/dev " + rootfs + "/proc " + tree + "/boot"
        + " && cp /bin/busybox " + rootfs + "/bin/busybox"
        + " && mknod " + rootfs + "/dev/console c 5 1"
        + " && printf '#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\n"
        + "echo BOOTFARM-BOOTED \"$(/bin/busybox cat /proc/cmdline)\"\n"
        + "echo o > /proc/sysrq-trigger\n/bin/busybox sleep 30\n' > " + rootfs + "/bin/init"
        + " && chmod 0755 " + rootfs + "/bin/init && cp " + kernel + " " + tree + "/boot/vmlinuz64");
    InitramfsWriter.write(rootfs, tree.resolve("boot/core.gz"), SDE, 1);
    Path iso = temp.resolve("boot.iso");
    IsoWriter.write(
        tree, iso,
        new BootConfig("/boot/vmlinuz64", "/boot/core.gz", "rdinit=/bin/init console=ttyS0 panic=-1"),
        "BOOTTEST", SDE);
    String console =
        sh("timeout 240 qemu-system-x86_64 -m 512 -display none -no-reboot -cdrom " + iso
            + " -serial stdio -monitor none </dev/null 2>&1 || true");
    assertTrue(
        console.contains("BOOTFARM-BOOTED ")
            && console.contains("rdinit=/bin/init console=ttyS0 panic=-1"),
        "console:\n" + console);
  }

  private Path findDebianKernel() throws Exception {
    String given = System.getenv("BOOTFARM_TEST_KERNEL");
    if (given != null && Files.isRegularFile(Path.of(given))) {
      return Path.of(given);
    }
    Path archives = Path.of("/var/cache/apt/archives");
    if (!Files.isDirectory(archives)) {
      return null;
    }
    Path deb;
    try (var debs = Files.list(archives)) {
      deb =
          debs.filter(p -> p.getFileName().toString().matches("linux-image-[0-9].*-cloud-amd64_.*\\.deb"))
              .sorted()
              .findFirst()
              .orElse(null);
    }
    if (deb == null) {
      return null;
    }
    Path kernel = temp.resolve("vmlinuz");
    sh("dpkg-deb --fsys-tarfile " + deb + " | tar -xO --wildcards './boot/vmlinuz-*' > " + kernel);
    return kernel;
  }

  static String sh(String script) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("script failed: " + script + "\n" + out);
    }
    return out;
  }
}
