package org.bootfarm.worker.boot;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;

/**
 * Reads chosen entries out of a newc cpio archive: the initramfs of a built ISO ({@code /boot/core.gz},
 * gzip'd) or the payload of an RPM (through {@code rpm2cpio}). Each entry keeps its type, so a test
 * can tell a file from a link: a symbolic link's content is its target.
 */
public final class CpioEntries {

  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);

  /**
   * One entry.
   *
   * @param path    the path without a leading {@code ./} or {@code /}, e.g. {@code bin/busybox}
   * @param type    what it is
   * @param content the file's bytes, or a link's target as UTF-8; empty for anything else
   */
  public record Entry(String path, Type type, byte[] content) {

    /** The target of a symbolic link. */
    public String linkTarget() {
      if (type != Type.SYMLINK) {
        throw new IllegalStateException(path + " is a " + type + ", not a symbolic link");
      }
      return new String(content, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Entry e && path.equals(e.path) && type == e.type && Arrays.equals(content, e.content);
    }

    @Override
    public int hashCode() {
      return path.hashCode() * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
      return path + " (" + type + (type == Type.SYMLINK ? " -> " + linkTarget() : ", " + content.length + " bytes")
          + ")";
    }
  }

  /** The kinds of entry this tells apart. */
  public enum Type { FILE, SYMLINK, DIRECTORY, OTHER }

  private CpioEntries() {}

  /**
   * The wanted entries of the initramfs {@code /boot/core.gz} of {@code iso}, extracted with
   * xorriso into {@code scratch} (kept there as {@code core.gz}).
   */
  public static Map<String, Entry> ofInitramfs(Path iso, Path scratch, Set<String> paths)
      throws IOException, InterruptedException {
    Files.createDirectories(scratch);
    Path coreGz = scratch.resolve("core.gz");
    Files.deleteIfExists(coreGz);
    QemuBoot.run(scratch.resolve("xorriso-extract.log"), TOOL_TIMEOUT,
        "xorriso", "-osirrox", "on", "-indev", iso.toString(), "-extract", "/boot/core.gz", coreGz.toString());
    try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(coreGz), 1 << 16))) {
      return read(in, paths);
    }
  }

  /** The wanted entries of the payload of {@code rpm}, read through {@code rpm2cpio}. */
  public static Map<String, Entry> ofRpm(Path rpm, Set<String> paths) throws IOException, InterruptedException {
    Process rpm2cpio = new ProcessBuilder("rpm2cpio", rpm.toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    Map<String, Entry> entries;
    try (InputStream in = new BufferedInputStream(rpm2cpio.getInputStream(), 1 << 16)) {
      entries = read(in, paths);
      in.transferTo(java.io.OutputStream.nullOutputStream()); // so that rpm2cpio can exit
    } finally {
      if (!rpm2cpio.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        rpm2cpio.destroyForcibly();
      }
    }
    if (rpm2cpio.exitValue() != 0) {
      throw new IOException("rpm2cpio " + rpm + " exited " + rpm2cpio.exitValue() + " (install Debian package rpm2cpio)");
    }
    return entries;
  }

  /**
   * The wanted entries of an uncompressed newc cpio stream (read up to its trailer), by path;
   * names are compared without a leading {@code ./} or {@code /}.
   */
  public static Map<String, Entry> read(InputStream cpioStream, Set<String> paths) throws IOException {
    Map<String, Entry> found = new LinkedHashMap<>();
    CpioArchiveInputStream cpio = new CpioArchiveInputStream(cpioStream);
    CpioArchiveEntry entry;
    while ((entry = cpio.getNextEntry()) != null) {
      String path = normalize(entry.getName());
      if (!paths.contains(path)) {
        continue;
      }
      Type type = entry.isRegularFile() ? Type.FILE : entry.isSymbolicLink() ? Type.SYMLINK
          : entry.isDirectory() ? Type.DIRECTORY : Type.OTHER;
      byte[] content = type == Type.FILE || type == Type.SYMLINK ? cpio.readAllBytes() : new byte[0];
      found.put(path, new Entry(path, type, content));
    }
    return found;
  }

  /** A cpio name as a path: no leading {@code ./} or {@code /}. */
  static String normalize(String name) {
    String path = name;
    while (path.startsWith("./") || path.startsWith("/")) {
      path = path.substring(path.startsWith("./") ? 2 : 1);
    }
    return path;
  }
}
