package org.bootfarm.worker.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.record.TreeManifest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class InitramfsWriterTest {

  @TempDir Path temp;

  @Test
  void initramfsListsWithCpio() throws Exception {
    Path root = temp.resolve("rootfs");
    SampleTree.create(root, "022", false, "@1800000000");
    Path out = temp.resolve("core.gz");
    InitramfsWriter.write(root, out, SampleTree.SDE, 6);
    List<String> listed =
        Arrays.asList(SampleTree.sh("zcat " + out + " | cpio -it --quiet").split("\n"));
    Manifest manifest = TreeManifest.of("initramfs", ImageTree.scan(root, SampleTree.SDE));
    assertEquals(manifest.paths("initramfs"), listed);

    String verbose =
        SampleTree.sh("zcat " + out + " | LC_ALL=C TZ=UTC cpio -itv --quiet --numeric-uid-gid")
            .replaceAll(" +", " ");
    assertTrue(verbose.contains("crw-rw-rw- 1 0 0 1, 3 Nov 14 2023 dev/null"), verbose);
    assertTrue(verbose.contains("-rw-r----- 1 0 42 7 Nov 14 2023 etc/shadow"), verbose);
    assertTrue(verbose.contains("lrwxrwxrwx 1 0 0 5 Sep 13 2020 bin/hi -> hello"), verbose);
    assertTrue(verbose.contains("drwxrwxrwt 2 0 0 0 Nov 14 2023 tmp"), verbose);
  }

  @Test
  void inodesAreRenumberedFromOneAndHardLinksShareOne() throws Exception {
    Path root = temp.resolve("rootfs");
    SampleTree.create(root, "022", false, "@1800000000");
    Path out = temp.resolve("core.gz");
    InitramfsWriter.write(root, out, SampleTree.SDE, 6);
    byte[] cpio = DeterministicTarTest.gunzip(out);
    List<String[]> headers = newcHeaders(cpio);
    List<Long> inodes = new ArrayList<>();
    for (String[] h : headers) {
      inodes.add(Long.parseLong(h[0], 16));
      assertEquals(0, Long.parseLong(h[6], 16), "dev major of " + h[12]);
      assertEquals(0, Long.parseLong(h[7], 16), "dev minor of " + h[12]);
    }
    assertEquals("TRAILER!!!", headers.get(headers.size() - 1)[12]);
    assertEquals(0, cpio.length % 512, "padded to 512 bytes like GNU cpio");
    List<String> names = headers.stream().map(h -> h[12]).toList();
    int first = names.indexOf("usr/lib/big-link.dat");
    int second = names.indexOf("usr/lib/big.dat");
    assertEquals(inodes.get(first), inodes.get(second), "hard links share the inode");
    assertEquals(2, Long.parseLong(headers.get(first)[4], 16), "nlink");
    assertEquals(0, Long.parseLong(headers.get(first)[5], 16), "data not on the first link");
    assertEquals(70000, Long.parseLong(headers.get(second)[5], 16), "data on the last link");
    assertEquals(1L, inodes.get(0));
    long expected = 1;
    for (int i = 0; i < names.size() - 1; i++) {
      if (i == second) {
        continue;
      }
      assertEquals(expected++, inodes.get(i), "inode of " + names.get(i));
    }
  }

  @Test
  void cpioRoundTripRestoresTheTree() throws Exception {
    Path root = temp.resolve("rootfs");
    SampleTree.create(root, "022", false, "@1800000000");
    Path out = temp.resolve("core.gz");
    InitramfsWriter.write(root, out, SampleTree.SDE, 1);
    Path back = temp.resolve("back");
    Files.createDirectories(back);
    SampleTree.sh("cd " + back + " && zcat " + out + " | cpio -idm --quiet --no-absolute-filenames");
    assertEquals(
        TreeManifest.of("initramfs", ImageTree.scan(root, SampleTree.SDE)),
        TreeManifest.of("initramfs", ImageTree.scan(back, SampleTree.SDE)));
    assertEquals(
        Files.getAttribute(back.resolve("usr/lib/big.dat"), "unix:ino"),
        Files.getAttribute(back.resolve("usr/lib/big-link.dat"), "unix:ino"));
  }

  /** Header fields (ino, mode, uid, gid, nlink, size, devmajor, devminor, rdev..., name). */
  static List<String[]> newcHeaders(byte[] cpio) {
    List<String[]> headers = new ArrayList<>();
    int at = 0;
    while (true) {
      String h = new String(cpio, at, 110, StandardCharsets.US_ASCII);
      assertEquals("070701", h.substring(0, 6), "magic at offset " + at);
      long[] f = new long[13];
      for (int i = 0; i < 13; i++) {
        f[i] = Long.parseLong(h.substring(6 + 8 * i, 14 + 8 * i), 16);
      }
      int nameSize = (int) f[11];
      String name = new String(cpio, at + 110, nameSize - 1, StandardCharsets.UTF_8);
      headers.add(
          new String[] {
            hex(f[0]), hex(f[1]), hex(f[2]), hex(f[3]), hex(f[4]), hex(f[6]), hex(f[7]),
            hex(f[8]), hex(f[9]), hex(f[10]), hex(f[5]), hex(f[12]), name
          });
      if (name.equals("TRAILER!!!")) {
        return headers;
      }
      at = align(at + 110 + nameSize);
      at = align(at + (int) f[6]);
    }
  }

  private static String hex(long v) {
    return Long.toHexString(v);
  }

  private static int align(int offset) {
    return (offset + 3) & ~3;
  }
}
