package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step on a repo's warm apt cache (a publish, or linking its files into a root) is never interleaved with
 * another build's step on the same cache; steps on other repos' caches do not wait for it.
 */
@Tag("unit")
class AptCacheLockTest {

  @Test
  void aSecondStepOnTheSameCacheWaitsForTheFirstAndOneOnAnotherCacheDoesNot(@TempDir Path caches) throws Exception {
    Path repo = caches.resolve("debian-12");
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch firstIn = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    Thread first = new Thread(() -> run(repo, () -> {
      events.add("first in");
      firstIn.countDown();
      await(releaseFirst);
      events.add("first out");
    }));
    first.start();
    assertTrue(firstIn.await(10, TimeUnit.SECONDS));

    Thread second = new Thread(() -> run(repo, () -> events.add("second")));
    second.start();
    while (second.getState() != Thread.State.WAITING && second.getState() != Thread.State.TERMINATED) {
      Thread.onSpinWait();
    }
    // another repo's cache: not held up
    AptCacheLock.holding(caches.resolve("other-repo"), () -> events.add("other repo"));
    assertEquals(List.of("first in", "other repo"), List.copyOf(events), "the second step ran inside the first");

    releaseFirst.countDown();
    first.join(10_000);
    second.join(10_000);
    assertEquals(List.of("first in", "other repo", "first out", "second"), List.copyOf(events));
    assertTrue(Files.isRegularFile(repo.resolve("apt/cache.lock")), "the lock other processes take too");
  }

  private static void run(Path cacheDir, AptCacheLock.CacheStep step) {
    try {
      AptCacheLock.holding(cacheDir, step);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
