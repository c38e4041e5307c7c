package org.bootfarm.worker.archive;

import org.bootfarm.protocol.Sha256;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;

/**
 * How every artifact reaches its final name: written under a temporary name in the same
 * directory, hashed while it is written, then renamed into place atomically, so a reader (or a
 * worker that died half way) never sees a partial file under the real name.
 */
public final class AtomicOutput {

  private AtomicOutput() {}

  /** Something that writes an artifact's (uncompressed) bytes to a stream. */
  @FunctionalInterface
  public interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /** A fresh temporary file beside {@code target}, mode 0644, for it to be moved into place. */
  public static Path temporaryBeside(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial");
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
    return temp;
  }

  /**
   * Writes {@code body} gzip'd at {@code gzipLevel} on every core ({@link ParallelGzipOutputStream}) to
   * {@code target} by way of a temporary file and returns the sha256 of the compressed file.
   */
  public static String writeGzip(Path target, int gzipLevel, Body body) throws IOException {
    return writeGzip(target, gzipLevel, ParallelGzipOutputStream.defaultThreads(), body);
  }

  /**
   * As {@link #writeGzip(Path, int, Body)} on {@code threads} threads (the bytes are the same for any
   * number). The file is not synced: these are a build directory's files, which a worker that dies
   * discards with the directory; what is published is copied or moved out of it afterwards.
   */
  public static String writeGzip(Path target, int gzipLevel, int threads, Body body) throws IOException {
    Path temp = temporaryBeside(target);
    try {
      DigestOutputStream hashing;
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        hashing = Sha256.hashing(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
        ParallelGzipOutputStream gzip = new ParallelGzipOutputStream(hashing, gzipLevel, threads);
        try {
          OutputStream buffered = new BufferedOutputStream(gzip, 1 << 16);
          body.writeTo(buffered);
          buffered.flush();
          gzip.finish();
          hashing.flush();
        } finally {
          gzip.stopThreads();
        }
      }
      moveIntoPlace(temp, target);
      return Sha256.hex(hashing.getMessageDigest());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Writes {@code bytes} to {@code target} by way of a synced temporary file. */
  public static void writeBytes(Path target, byte[] bytes) throws IOException {
    Path temp = temporaryBeside(target);
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        Channels.newOutputStream(channel).write(bytes);
        channel.force(true);
      }
      moveIntoPlace(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Renames {@code temp} to {@code target} atomically (same directory, so same filesystem). */
  public static void moveIntoPlace(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot move " + temp + " atomically to " + target + ": " + e.getMessage(), e);
    }
  }
}
