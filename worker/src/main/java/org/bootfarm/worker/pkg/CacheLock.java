package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock the package drivers take on a worker's package cache: one thread at a time in this JVM (a thread lock
 * per lock file, since a file lock is the whole process's) and one process at a time on the machine (a file lock).
 * What each driver covers with it, and where its lock file lies, is the driver's ({@link AptCacheLock},
 * {@link DnfDriver#holdingCache}). Not reentrant across the file lock: a step must not take the same lock again.
 */
final class CacheLock {
  private static final Map<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

  /** Work done while the lock is held. */
  interface Step<T, E extends Exception> {
    T run() throws E;
  }

  private CacheLock() {}

  /**
   * Runs {@code step} holding {@code lockFile} (created when absent).
   *
   * @throws IOException when the lock file cannot be opened or locked
   */
  static <T, E extends Exception> T holding(Path lockFile, Step<T, E> step) throws E, IOException {
    ReentrantLock local = LOCAL.computeIfAbsent(lockFile.toAbsolutePath(), f -> new ReentrantLock());
    local.lock();
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = channel.lock()) {
      return step.run();
    } finally {
      local.unlock();
    }
  }
}
