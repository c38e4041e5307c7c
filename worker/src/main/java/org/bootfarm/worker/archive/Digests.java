package org.bootfarm.worker.archive;

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
 * The one place bootfarm computes a sha256: of a file, of bytes, or of a stream while it is
 * being written. Every digest is lower-case hex.
 */
public final class Digests {

  private Digests() {}

  /** A fresh SHA-256 digest (every JVM has one, so this never fails). */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** The sha256 of a file's contents. */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new IOException("cannot read " + file + " to hash it: " + e.getMessage(), e);
    }
    return sha256Hex(digest);
  }

  /** The sha256 of some bytes. */
  public static String sha256(byte[] bytes) {
    MessageDigest digest = newSha256();
    digest.update(bytes);
    return sha256Hex(digest);
  }

  /** Finishes a digest and returns it as lower-case hex. */
  public static String sha256Hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * Wraps a stream so that everything written through it is also hashed; call
   * {@link #sha256Hex(MessageDigest)} on {@code stream.getMessageDigest()} once it is flushed.
   */
  public static DigestOutputStream hashing(OutputStream out) {
    return new DigestOutputStream(out, newSha256());
  }
}
