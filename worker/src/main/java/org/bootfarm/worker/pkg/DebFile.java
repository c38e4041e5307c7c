package org.bootfarm.worker.pkg;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * A Debian binary package file ({@code .deb}, an {@code ar} archive) read for its build time (the
 * timestamp of its first member, {@code debian-binary}, which dpkg-deb sets to the package's
 * SOURCE_DATE_EPOCH when the package was built reproducibly) and for its control stanza (the
 * {@code control} file of its {@code control.tar}, which a local apt repository's index repeats).
 */
public final class DebFile {
  private static final byte[] AR_MAGIC = "!<arch>\n".getBytes(StandardCharsets.US_ASCII);
  /** An ar member header: name 16, mtime 12, uid 6, gid 6, mode 8, size 10, "`\n" 2. */
  private static final int HEADER_LENGTH = 60;

  private DebFile() {}

  /**
   * The mtime of the first ar member of {@code deb}, in epoch seconds.
   *
   * @throws IOException when the file is not an ar archive or its header is malformed (the message
   *     names the file)
   */
  public static long buildTime(Path deb) throws IOException {
    try (InputStream in = Files.newInputStream(deb)) {
      byte[] head = in.readNBytes(AR_MAGIC.length + HEADER_LENGTH);
      if (head.length < AR_MAGIC.length + HEADER_LENGTH || !startsWith(head, AR_MAGIC)) {
        throw new IOException(deb + " is not a Debian package: no ar archive header");
      }
      String header = new String(head, AR_MAGIC.length, HEADER_LENGTH, StandardCharsets.US_ASCII);
      if (!header.endsWith("`\n")) {
        throw new IOException(deb + " has a malformed ar member header");
      }
      String mtime = header.substring(16, 28).trim();
      try {
        return Long.parseLong(mtime);
      } catch (NumberFormatException e) {
        throw new IOException(deb + " has a non-numeric ar member timestamp '" + mtime + "'", e);
      }
    }
  }

  /**
   * The package's control stanza: the {@code control} file of its {@code control.tar}, {@code .tar.gz}
   * or {@code .tar.xz} (what Debian's dpkg-deb writes), as text without trailing blank lines.
   *
   * @throws IOException when the file is not a .deb or has no control file (the message names the file)
   */
  public static String control(Path deb) throws IOException {
    try (ArArchiveInputStream ar = new ArArchiveInputStream(new BufferedInputStream(Files.newInputStream(deb)))) {
      for (ArArchiveEntry member = ar.getNextEntry(); member != null; member = ar.getNextEntry()) {
        String name = member.getName();
        if (!name.startsWith("control.tar")) {
          continue;
        }
        InputStream raw = new BufferedInputStream(ar);
        InputStream tarStream = switch (name) {
          case "control.tar" -> raw;
          case "control.tar.gz" -> new GZIPInputStream(raw);
          case "control.tar.xz" -> new XZInputStream(raw);
          default -> throw new IOException(deb + " has a control member of unknown compression: " + name);
        };
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream);
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
          if (entry.isFile() && (entry.getName().equals("./control") || entry.getName().equals("control"))) {
            String text = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
            return text.replaceAll("\\n+$", "");
          }
        }
        throw new IOException(deb + ": " + name + " has no control file");
      }
    } catch (IllegalArgumentException e) {
      throw new IOException(deb + " is not a Debian package: " + e.getMessage(), e);
    }
    throw new IOException(deb + " is not a Debian package: no control.tar member");
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
