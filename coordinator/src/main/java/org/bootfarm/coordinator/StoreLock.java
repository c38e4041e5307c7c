package org.bootfarm.coordinator;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The exclusive lock a store holds on its lock file while it is open, so that two coordinators (two
 * processes, or two stores in one JVM) never share the store's files. The one way the coordinator's
 * stores take such a lock: the build store ({@code builds.sqlite.lock}) and the artifact store
 * ({@code store.lock}). Each store words its own refusal, naming the lock file and what to do.
 */
public final class StoreLock implements Closeable {
  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private StoreLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock on {@code lockFile}, creating the file when missing, without waiting.
   *
   * @return empty when another process, or another lock in this JVM, holds it
   * @throws IOException if the file cannot be created or locked at all
   */
  public static Optional<StoreLock> tryAcquire(Path lockFile) throws IOException {
    FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      return Optional.empty();
    }
    return Optional.of(new StoreLock(lockFile, channel, lock));
  }

  /** The lock file. */
  public Path file() {
    return file;
  }

  /** Releases the lock; closing again does nothing. */
  @Override
  public void close() throws IOException {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } finally {
      channel.close();
    }
  }
}
