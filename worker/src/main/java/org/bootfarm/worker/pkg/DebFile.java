package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Debian binary package file ({@code .deb}, an {@code ar} archive) read for its build time: the
 * timestamp of its first member, {@code debian-binary}, which dpkg-deb sets to the package's
 * SOURCE_DATE_EPOCH when the package was built reproducibly.
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
