package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes each publish into a repo's warm apt cache and each linking out of it one step for the other builds of
 * that repo, in this worker and in any other process on the machine that shares the cache directory: a build
 * that links the indices into a root sees one build's published set, never half of one and half of another, and
 * never a file that is deleted as it is linked. The lock ({@link CacheLock} on {@code apt/cache.lock}) is held
 * only while files are linked or published, never while apt or dpkg runs, so builds of one repo still run side by
 * side.
 */
final class AptCacheLock {

  /** Work on the warm cache's files. */
  interface CacheStep {
    void run() throws IOException;
  }

  private AptCacheLock() {}

  /** Runs {@code step} holding the warm cache of {@code cacheDir} (not nested in another step). */
  static void holding(Path cacheDir, CacheStep step) throws IOException {
    Path lockFile = Files.createDirectories(cacheDir.resolve("apt")).resolve("cache.lock");
    CacheLock.holding(lockFile, () -> {
      step.run();
      return null;
    });
  }
}
