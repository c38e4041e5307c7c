package org.bootfarm.worker.archive;

import org.bootfarm.protocol.Sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.bootfarm.worker.iso.BootConfig;
import org.bootfarm.worker.iso.IsoWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class DeterministicTarTest {

  @TempDir Path temp;

  @Test
  void sameTreeWrittenFromTwoDirectoriesGivesSameSha() throws Exception {
    Path a = temp.resolve("first/rootfs");
    Path b = temp.resolve("elsewhere/deeper/rootfs");
    SampleTree.create(a, "022", false, "@1800000000");
    SampleTree.create(b, "077", true, "@1900000000");
    String tarA = DeterministicTar.write(a, temp.resolve("a.tar.gz"), SampleTree.SDE);
    String tarB = DeterministicTar.write(b, temp.resolve("b.tar.gz"), SampleTree.SDE);
    assertEquals(listing(temp.resolve("a.tar.gz")), listing(temp.resolve("b.tar.gz")));
    assertEquals(tarA, tarB);
    assertEquals(SampleTree.sh("gzip -dc " + temp.resolve("a.tar.gz") + " | sha256sum | cut -d' ' -f1").trim(), tarA,
        "returned sha is the sha256 of the tar the file holds");
    assertEquals(tarA, DeterministicTar.tarSha256(temp.resolve("b.tar.gz")));
    assertEquals(tarA, DeterministicTar.digest(b, SampleTree.SDE), "the tree's digest is its archive's tar sha256");
    assertFalse(temp.resolve("c.tar.gz").toFile().exists());
    String cpioA = InitramfsWriter.write(a, temp.resolve("a.cpio.gz"), SampleTree.SDE, 6);
    String cpioB = InitramfsWriter.write(b, temp.resolve("b.cpio.gz"), SampleTree.SDE, 6);
    assertEquals(cpioA, cpioB);
    assertEquals(Sha256.of(temp.resolve("b.cpio.gz")), cpioB);

    // the same trees as ISO contents, kernel and initramfs added under boot/
    BootConfig boot = new BootConfig("/boot/vmlinuz64", "/boot/core.gz", "rdinit=/bin/init");
    String[] isoShas = new String[2];
    Path[] trees = {a, b};
    for (int i = 0; i < 2; i++) {
      Path bootDir = Files.createDirectories(trees[i].resolve("boot"));
      Files.copy(trees[i].resolve("bin/hello"), bootDir.resolve("vmlinuz64"));
      Files.copy(temp.resolve(i == 0 ? "a.cpio.gz" : "b.cpio.gz"), bootDir.resolve("core.gz"));
      SampleTree.sh("chmod 0755 " + bootDir + " && chmod 0644 " + bootDir + "/*");
      isoShas[i] =
          IsoWriter.write(trees[i], temp.resolve(i + ".iso"), boot, "BOOTFARM", SampleTree.SDE);
    }
    assertEquals(isoShas[0], isoShas[1]);
  }

  @Test
  void differentContentGivesDifferentSha() throws Exception {
    Path a = temp.resolve("a");
    SampleTree.create(a, "022", false, "@1800000000");
    String before = DeterministicTar.write(a, temp.resolve("1.tar.gz"), SampleTree.SDE);
    SampleTree.sh("chmod 0700 " + a.resolve("bin/hello"));
    String after = DeterministicTar.write(a, temp.resolve("2.tar.gz"), SampleTree.SDE);
    assertFalse(before.equals(after), "a mode change must change the archive");
    assertEquals(after, DeterministicTar.digest(a, SampleTree.SDE));
  }

  @Test
  void gzipHeaderHasNoNameNorTimestamp() throws Exception {
    Path a = temp.resolve("a");
    SampleTree.create(a, "022", false, "@1800000000");
    DeterministicTar.write(a, temp.resolve("a.tar.gz"), SampleTree.SDE);
    InitramfsWriter.write(a, temp.resolve("a.cpio.gz"), SampleTree.SDE, 9);
    for (String name : List.of("a.tar.gz", "a.cpio.gz")) {
      byte[] header = Arrays.copyOf(Files.readAllBytes(temp.resolve(name)), 10);
      assertEquals((byte) 0x1f, header[0], name);
      assertEquals((byte) 0x8b, header[1], name);
      assertEquals(8, header[2], name + ": deflate");
      assertEquals(0, header[3], name + ": FLG has no FNAME, FCOMMENT or FEXTRA");
      assertArrayEquals(new byte[4], Arrays.copyOfRange(header, 4, 8), name + ": MTIME is 0");
      assertEquals(0, header[8], name + ": XFL");
      assertEquals(3, header[9], name + ": OS is Unix, as gzip -n writes it, whatever the JDK");
      SampleTree.sh("gzip -t " + temp.resolve(name));
      String info = SampleTree.sh("gzip -lvN " + temp.resolve(name));
      assertFalse(info.contains("a.tar") && info.contains(" a.cpio"), info);
    }
  }

  @Test
  void tarHeadersCarryNumericOwnersOnlyAndNoPathOfTheBuildDirectory() throws Exception {
    Path a = temp.resolve("build-dir-name/rootfs");
    SampleTree.create(a, "022", false, "@1800000000");
    DeterministicTar.write(a, temp.resolve("a.tar.gz"), SampleTree.SDE);
    String listing =
        SampleTree.sh("LC_ALL=C TZ=UTC tar --numeric-owner -tvzf " + temp.resolve("a.tar.gz"))
            .replaceAll(" +", " ");
    assertTrue(listing.contains("crw-rw-rw- 0/0 1,3 2023-11-14 22:13 dev/null"), listing);
    assertTrue(listing.contains("brw-rw---- 0/0 8,0 "), listing);
    assertTrue(listing.contains("-rw-r----- 0/42 7 2023-11-14 22:13 etc/shadow"), listing);
    assertTrue(listing.contains("-rwsr-xr-x 0/0 "), listing);
    assertTrue(listing.contains("drwxrwxrwt 0/0 0 2023-11-14 22:13 tmp/"), listing);
    assertTrue(listing.contains("usr/lib/big.dat link to usr/lib/big-link.dat"), listing);
    assertTrue(listing.contains("-byte-limit-of-ustar.ko\n"), "long name kept whole: " + listing);
    byte[] raw = gunzip(temp.resolve("a.tar.gz"));
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    assertFalse(text.contains("build-dir-name"), "no trace of the build directory");
    assertFalse(text.contains("root\0"), "no user or group names");
  }

  @Test
  void tarRoundTripRestoresOwnersModesDevicesSymlinks() throws Exception {
    Path a = temp.resolve("a");
    SampleTree.create(a, "022", false, "@1800000000");
    DeterministicTar.write(a, temp.resolve("a.tar.gz"), SampleTree.SDE);
    Path restored = temp.resolve("restored");
    DeterministicTar.extract(temp.resolve("a.tar.gz"), restored);
    List<TreeEntry> original = ImageTree.scan(a, SampleTree.SDE);
    List<TreeEntry> back = ImageTree.scan(restored, SampleTree.SDE);
    assertEquals(describe(original), describe(back));
    assertEquals(
        Files.getAttribute(restored.resolve("usr/lib/big.dat"), "unix:ino"),
        Files.getAttribute(restored.resolve("usr/lib/big-link.dat"), "unix:ino"),
        "hard link restored as a hard link");
    // and writing the restored tree again gives the same archive, and hashing it the same digest
    String again = DeterministicTar.write(restored, temp.resolve("again.tar.gz"), SampleTree.SDE);
    assertEquals(Sha256.of(temp.resolve("a.tar.gz")), Sha256.of(temp.resolve("again.tar.gz")));
    assertEquals(DeterministicTar.digest(a, SampleTree.SDE), again);
    assertEquals(again, DeterministicTar.digest(restored, SampleTree.SDE));
  }

  @Test
  void nonAsciiNamesAreArchivedAsTheirUtf8Bytes() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        ImageTree.UTF8_FILE_NAMES, "the test JVM runs under a non-UTF-8 locale");
    Path a = temp.resolve("a");
    Files.createDirectories(a);
    // as ca-certificates names some of its files
    Files.writeString(a.resolve("NetLock_Arany_=Class_Gold=_F\u0151tan\u00fas\u00edtv\u00e1ny.crt"), "c");
    Files.writeString(a.resolve("NetLock_Arany_=Class_Gold=_Z.crt"), "z");
    DeterministicTar.write(a, temp.resolve("a.tar.gz"), SampleTree.SDE);
    String names = SampleTree.sh("LC_ALL=C.UTF-8 tar -tzf " + temp.resolve("a.tar.gz"));
    assertEquals(
        "NetLock_Arany_=Class_Gold=_F\u0151tan\u00fas\u00edtv\u00e1ny.crt\n"
            + "NetLock_Arany_=Class_Gold=_Z.crt\n",
        names);
    // 'F' (0x46) sorts before 'Z' (0x5a) whatever follows
    List<String> paths = ImageTree.scan(a, SampleTree.SDE).stream().map(TreeEntry::path).toList();
    assertEquals("NetLock_Arany_=Class_Gold=_Z.crt", paths.get(1));
  }

  private static List<String> describe(List<TreeEntry> entries) {
    return entries.stream()
        .map(
            e ->
                String.join(
                    " ",
                    e.path(),
                    e.type().word(),
                    Integer.toOctalString(e.mode()),
                    e.uid() + ":" + e.gid(),
                    Long.toString(e.size()),
                    Long.toString(e.mtime()),
                    String.valueOf(e.symlinkTarget()),
                    e.rdevMajor() + "," + e.rdevMinor(),
                    String.valueOf(e.hardLinkTo())))
        .toList();
  }

  @Test
  void extractRefusesParentPathEntries() throws Exception {
    Path evil = hostileArchive("evil.tar.gz", "fine.txt", "sub/../../escaped.txt");
    Path dest = temp.resolve("dest/inner");
    IOException e = assertThrows(IOException.class, () -> DeterministicTar.extract(evil, dest));
    assertTrue(e.getMessage().contains("sub/../../escaped.txt"), e.getMessage());
    assertTrue(e.getMessage().contains("'..'"), e.getMessage());
    assertFalse(Files.exists(dest), "nothing extracted, not even the harmless entry");
    assertFalse(Files.exists(temp.resolve("dest/escaped.txt")));
  }

  @Test
  void extractRefusesAbsolutePathEntries() throws Exception {
    Path evil = hostileArchive("abs.tar.gz", "/tmp/bootfarm-test-absolute-escape");
    IOException e =
        assertThrows(IOException.class, () -> DeterministicTar.extract(evil, temp.resolve("d")));
    assertTrue(e.getMessage().contains("absolute path"), e.getMessage());
    assertTrue(e.getMessage().contains(evil.toString()), "names the archive: " + e.getMessage());
  }

  @Test
  void extractRefusesEntryThroughSymlinkItCreated() throws Exception {
    Path evil = temp.resolve("link.tar.gz");
    try (OutputStream file = Files.newOutputStream(evil);
        GZIPOutputStream gz = new GZIPOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      TarArchiveEntry link = new TarArchiveEntry("etc", TarConstants.LF_SYMLINK);
      link.setLinkName("/etc");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
      putFile(tar, "etc/cron.d/evil");
    }
    IOException e =
        assertThrows(IOException.class, () -> DeterministicTar.extract(evil, temp.resolve("d")));
    assertTrue(e.getMessage().contains("etc/cron.d/evil"), e.getMessage());
    assertTrue(e.getMessage().contains("symlink 'etc'"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("d")), "nothing extracted");
  }

  @Test
  void extractRefusesHardLinkThroughSymlinkItCreated() throws Exception {
    Path evil = temp.resolve("hardlink.tar.gz");
    try (OutputStream file = Files.newOutputStream(evil);
        GZIPOutputStream gz = new GZIPOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      TarArchiveEntry link = new TarArchiveEntry("up", TarConstants.LF_SYMLINK);
      link.setLinkName("/");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
      TarArchiveEntry hard = new TarArchiveEntry("shadow", TarConstants.LF_LINK);
      hard.setLinkName("up/etc/shadow");
      tar.putArchiveEntry(hard);
      tar.closeArchiveEntry();
    }
    IOException e =
        assertThrows(IOException.class, () -> DeterministicTar.extract(evil, temp.resolve("d")));
    assertTrue(e.getMessage().contains("'up/etc/shadow' goes through the symlink 'up'"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("d")));
  }

  private Path hostileArchive(String name, String... entries) throws IOException {
    Path archive = temp.resolve(name);
    try (OutputStream file = Files.newOutputStream(archive);
        GZIPOutputStream gz = new GZIPOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      for (String entry : entries) {
        putFile(tar, entry);
      }
    }
    return archive;
  }

  private static void putFile(TarArchiveOutputStream tar, String name) throws IOException {
    byte[] data = "x\n".getBytes(StandardCharsets.US_ASCII);
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(data.length);
    tar.putArchiveEntry(e);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  static String listing(Path tarGz) throws Exception {
    return SampleTree.sh("LC_ALL=C TZ=UTC tar --numeric-owner --full-time -tvzf " + tarGz);
  }

  static byte[] gunzip(Path gz) throws IOException {
    try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(gz))) {
      return in.readAllBytes();
    }
  }
}
