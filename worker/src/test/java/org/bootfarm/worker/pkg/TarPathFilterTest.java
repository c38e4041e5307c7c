package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bootfarm's stand-in for mmtarfilter against the real one (mmdebstrap's, installed with it): for tar streams as
 * dpkg-deb, GNU tar, pax and plain ustar write them, and for the ones it hands over, both leave the same members
 * with the same names, types, modes, owners, times, link targets and contents; what it keeps, it keeps byte for
 * byte.
 */
@Tag("tool")
class TarPathFilterTest {
  /** The arguments mmdebstrap gives the filter for bootfarm's dpkg options. */
  private static final List<String> ARGS = AptDriver.DPKG_OPTIONS.stream().map(o -> "--" + o).toList();

  @TempDir static Path dir;
  private static Path filter;

  @BeforeAll
  static void install() throws IOException {
    filter = TarPathFilter.install(dir).resolve(TarPathFilter.PROGRAM);
  }

  @Test
  void aDebsDataDropsWhatMmtarfilterDropsAndKeepsTheRestByteForByte(@TempDir Path work) throws Exception {
    Path tree = work.resolve("tree");
    file(tree, "DEBIAN/control", "Package: filtered\nVersion: 1.0\nArchitecture: all\nMaintainer: bootfarm"
        + " <bootfarm@invalid>\nDescription: members inside and outside the path filters\n");
    file(tree, "usr/bin/tool", "#!/bin/sh\necho tool\n");
    file(tree, "usr/share/doc/filtered/copyright", "licence\n");
    file(tree, "usr/share/doc/filtered/changelog.Debian.gz", "changes\n");
    file(tree, "usr/share/man/man1/tool.1.gz", "manual\n");
    file(tree, "usr/share/locale/de/LC_MESSAGES/tool.mo", "übersetzt\n");
    file(tree, "usr/share/lintian/overrides/filtered", "override\n");
    file(tree, "usr/share/info/tool.info.gz", "info\n");
    file(tree, "usr/share/docs-not-doc/readme", "kept: the pattern is /usr/share/doc/*\n");
    String deep = "usr/share/doc/filtered/" + "a-very-long-directory-name-".repeat(5) + "/copyright";
    file(tree, deep, "a copyright past 100 bytes of name\n");
    file(tree, "usr/lib/filtered/" + "kept-long-name-".repeat(8) + "/data", "kept past 100 bytes of name\n");
    Files.createSymbolicLink(Files.createDirectories(tree.resolve("usr/share/doc")).resolve("filtered-link"),
        Path.of("filtered"));
    Files.createSymbolicLink(tree.resolve("usr/bin/tool-link"), Path.of("tool"));
    Path deb = work.resolve("filtered.deb");
    run(null, "dpkg-deb", "--root-owner-group", "-Zxz", "--build", tree.toString(), deb.toString());
    byte[] data = run(null, "dpkg-deb", "--fsys-tarfile", deb.toString());

    byte[] ours = run(data, filter.toString(), ARGS);
    assertEquals(members(run(data, "/usr/bin/mmtarfilter", ARGS)), members(ours));
    List<String> kept = members(ours).stream().map(m -> m.split(" ")[0]).toList();
    assertTrue(kept.contains("./usr/share/doc/filtered/copyright"), kept.toString());
    assertTrue(kept.contains("./" + deep), kept.toString());
    assertTrue(kept.contains("./usr/share/docs-not-doc/readme"), kept.toString());
    assertFalse(kept.contains("./usr/share/doc/filtered/changelog.Debian.gz"), kept.toString());
    assertFalse(kept.contains("./usr/share/locale/de/LC_MESSAGES/tool.mo"), kept.toString());
    assertFalse(kept.contains("./usr/share/doc/filtered-link"), kept.toString());
    // what it keeps, it keeps as it came: the input with the dropped members' blocks taken out
    assertArrayEquals(withoutDropped(data, kept), Arrays.copyOf(ours, withoutDropped(data, kept).length));
  }

  @Test
  void gnuPaxAndUstarNamesAreReadAsMmtarfilterReadsThem() throws Exception {
    String longDoc = "./usr/share/doc/pkg/" + "x".repeat(120) + "/notes";
    String longCopyright = "./usr/share/doc/pkg/" + "y".repeat(120) + "/copyright";
    for (int format : new int[] {TarArchiveOutputStream.LONGFILE_GNU, TarArchiveOutputStream.LONGFILE_POSIX}) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
        tar.setLongFileMode(format);
        directory(tar, "./");
        directory(tar, "./usr/share/doc/pkg/");
        regular(tar, longDoc, "dropped");
        regular(tar, longCopyright, "kept");
        regular(tar, "./usr/share/man/man8/ü.8.gz", "dropped");
        regular(tar, "usr/share/man/no-dot-slash", "kept: matched as 'sr/share/man/...'");
        regular(tar, "./usr/share/doc", "kept: a file named as the directory");
        TarArchiveEntry link = new TarArchiveEntry("./usr/share/doc/hard", TarArchiveEntry.LF_LINK);
        link.setLinkName("./usr/share/doc");
        tar.putArchiveEntry(link);
        tar.closeArchiveEntry();
      }
      byte[] data = bytes.toByteArray();
      byte[] ours = run(data, filter.toString(), ARGS);
      assertEquals(members(run(data, "/usr/bin/mmtarfilter", ARGS)), members(ours), "long names " + format);
      List<String> kept = members(ours).stream().map(m -> m.split(" ")[0]).toList();
      // the directory goes as well: mmtarfilter keeps no directory for an include pattern, dpkg makes it later
      assertEquals(List.of("./", longCopyright, "usr/share/man/no-dot-slash", "./usr/share/doc"), kept,
          "long names " + format);
    }
    // a ustar name split into prefix and name, written by hand (Commons Compress writes pax instead)
    String prefix = "./usr/share/doc/" + "p".repeat(100);
    byte[] ustar = concat(header(prefix, "changelog", '0', 0), header(prefix, "copyright", '0', 0), new byte[1024]);
    byte[] ours = run(ustar, filter.toString(), ARGS);
    assertEquals(members(run(ustar, "/usr/bin/mmtarfilter", ARGS)), members(ours));
    assertEquals(List.of(prefix + "/copyright 0 0 0 ... "), members(ours).stream()
        .map(m -> m.substring(0, m.indexOf(' ')) + " 0 0 0 ... ").toList());
  }

  @Test
  void whatItDoesNotReadAsPythonDoesIsHandedToMmtarfilter() throws Exception {
    // a pax record that sets the size (the header says 0): Python's reading decides where the next member starts
    byte[] paxSize = concat(header("", "./usr/bin/a", '0', 4), pad("aaaa".getBytes(StandardCharsets.US_ASCII)),
        header("", "./PaxHeaders/b", 'x', paxRecord("size", "3").length), pad(paxRecord("size", "3")),
        header("", "./usr/bin/b", '0', 0), pad("bbb".getBytes(StandardCharsets.US_ASCII)), new byte[1024]);
    byte[] ours = run(paxSize, filter.toString(), ARGS);
    assertEquals(members(run(paxSize, "/usr/bin/mmtarfilter", ARGS)), members(ours));
    assertNotEquals(-1, indexOf(ours, "ustar\u000000".getBytes(StandardCharsets.ISO_8859_1)),
        "the rest was written by mmtarfilter (pax format)");

    // an option it does not take
    List<String> strip = new ArrayList<>(ARGS);
    strip.add("--strip-components=2");
    byte[] plain = concat(header("", "./usr/bin/c", '0', 1), pad(new byte[] {'c'}), new byte[1024]);
    assertEquals(members(run(plain, "/usr/bin/mmtarfilter", strip)), members(run(plain, filter.toString(), strip)));
    assertEquals(1, members(run(plain, filter.toString(), strip)).size());

    // a broken first header: both refuse the stream; a broken later one: both end the archive there
    byte[] broken = concat(header("", "./usr/bin/d", '0', 0), header("", "./usr/bin/e", '0', 0), new byte[1024]);
    broken[148] ^= 1;
    assertNotEquals(0, exitCode(broken, "/usr/bin/mmtarfilter", ARGS));
    assertNotEquals(0, exitCode(broken, filter.toString(), ARGS));
    broken[148] ^= 1;
    broken[512 + 148] ^= 1;
    assertEquals(List.of("./usr/bin/d"), members(run(broken, "/usr/bin/mmtarfilter", ARGS)).stream()
        .map(m -> m.substring(0, m.indexOf(' '))).toList());
    assertEquals(members(run(broken, "/usr/bin/mmtarfilter", ARGS)), members(run(broken, filter.toString(), ARGS)));
  }

  // ---------------------------------------------------------------- helpers

  /** Every member as its name, type, mode, owner, time, link target and content digest. */
  private static List<String> members(byte[] tar) throws IOException {
    List<String> out = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        String name = entry.getName();
        if (entry.isDirectory() && !name.endsWith("/")) {
          name += "/";
        }
        out.add(name + " " + (char) entry.getLinkFlag() + " " + Integer.toOctalString(entry.getMode() & 07777)
            + " " + entry.getLongUserId() + ":" + entry.getLongGroupId() + " " + entry.getModTime().getTime() / 1000
            + " " + entry.getLinkName() + " " + Sha256.of(in.readAllBytes()));
      }
    }
    return out;
  }

  /** {@code data}'s blocks without the members (and their long-name headers) not in {@code kept}. */
  private static byte[] withoutDropped(byte[] data, List<String> kept) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int pos = 0;
    int memberStart = 0;
    String longName = null;
    while (pos + 512 <= data.length) {
      byte[] block = Arrays.copyOfRange(data, pos, pos + 512);
      if (Arrays.equals(block, new byte[512])) {
        break;
      }
      char type = (char) block[156];
      long size = Long.parseLong(new String(block, 124, 11, StandardCharsets.US_ASCII).trim(), 8);
      int end = pos + 512 + (int) ((size + 511) / 512 * 512);
      if (type == 'L') {
        longName = new String(data, pos + 512, (int) size, StandardCharsets.UTF_8).replace("\0", "");
        pos = end;
        continue;
      }
      String name = longName != null ? longName : new String(block, 0, 100, StandardCharsets.UTF_8).replace("\0", "");
      boolean regular = type == '0' || type == '\0';
      end = regular ? end : pos + 512;
      if (kept.contains(name) || kept.contains(name + "/")) {
        out.write(data, memberStart, end - memberStart);
      }
      pos = end;
      memberStart = end;
      longName = null;
    }
    return out.toByteArray();
  }

  private static void file(Path tree, String path, String content) throws IOException {
    Path file = tree.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(path.startsWith("usr/bin") ? "rwxr-xr-x"
        : "rw-r--r--"));
  }

  private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setModTime(1_700_000_000_000L);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void regular(TarArchiveOutputStream tar, String name, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(bytes.length);
    entry.setModTime(1_700_000_000_000L);
    tar.putArchiveEntry(entry);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  /** One ustar header block: {@code prefix} in the ustar prefix field, POSIX magic, a valid checksum. */
  private static byte[] header(String prefix, String name, char type, int size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644\0");
    put(h, 108, "0000000\0");
    put(h, 116, "0000000\0");
    put(h, 124, String.format("%011o\0", size));
    put(h, 136, String.format("%011o\0", 1_700_000_000L));
    h[156] = (byte) type;
    put(h, 257, "ustar\u000000");
    put(h, 345, prefix);
    Arrays.fill(h, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format("%06o\0 ", sum));
    return h;
  }

  private static void put(byte[] block, int offset, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(bytes, 0, block, offset, bytes.length);
  }

  private static byte[] paxRecord(String key, String value) {
    String body = " " + key + "=" + value + "\n";
    int length = body.length() + 1;
    length = body.length() + Integer.toString(length).length();
    return (length + body).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] pad(byte[] data) {
    return Arrays.copyOf(data, (data.length + 511) / 512 * 512);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] run(byte[] input, String program, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(program));
    command.addAll(args);
    return run(input, command.toArray(String[]::new));
  }

  private static byte[] run(byte[] input, String... command) throws Exception {
    Process process = start(input, command);
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    byte[] errors = process.getErrorStream().readAllBytes();
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + new String(errors, StandardCharsets.UTF_8));
    return out.get();
  }

  private static int exitCode(byte[] input, String program, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(program));
    command.addAll(args);
    Process process = start(input, command.toArray(String[]::new));
    CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    process.getErrorStream().readAllBytes();
    return process.waitFor();
  }

  private static Process start(byte[] input, String... command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    // the build environment's search path: Debian's own python3 for mmtarfilter, as mmdebstrap finds it
    builder.environment().put("PATH", org.bootfarm.worker.process.ExternalCommand.PATH);
    Process process = builder.start();
    CompletableFuture.runAsync(() -> {
      try (var stdin = process.getOutputStream()) {
        if (input != null) {
          stdin.write(input);
        }
      } catch (IOException e) {
        // the program stopped reading (an error it reports itself)
      }
    });
    return process;
  }

  private static byte[] readAll(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
