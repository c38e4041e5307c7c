package org.bootfarm.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The one place bootfarm computes sha256 digests, as lower-case hex: of bytes, of a stream, of a
 * file, or incrementally through {@link #newDigest()}. Every module that needs a sha256 calls this.
 */
public final class Sha256 {
  private Sha256() {}

  /** A fresh sha256 {@link MessageDigest} (every JVM has one, so this never fails). */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** Lower-case hex of a finished digest. */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** sha256 of bytes, as hex. */
  public static String of(byte[] bytes) {
    MessageDigest digest = newDigest();
    digest.update(bytes);
    return hex(digest);
  }

  /** sha256 of everything left in a stream (which is read to its end, not closed), as hex. */
  public static String of(InputStream in) throws IOException {
    MessageDigest digest = newDigest();
    update(digest, in);
    return hex(digest);
  }

  /** sha256 of a file's contents, as hex. */
  public static String of(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return of(in);
    }
  }

  /**
   * Wraps a stream so that everything written through it is also hashed; {@link #hex} of
   * {@code stream.getMessageDigest()} once it is flushed is the sha256 of what was written.
   */
  public static DigestOutputStream hashing(OutputStream out) {
    return new DigestOutputStream(out, newDigest());
  }

  /** Feeds everything left in a stream into a digest. */
  public static void update(MessageDigest digest, InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = in.read(buffer)) > 0; ) {
      digest.update(buffer, 0, n);
    }
  }
}
