package org.bootfarm.testkit;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Polling through Awaitility for a test that asserts on what it saw last: reads a value until it is done
 * or the time is up, and hands the last value back, so the test's own assertion (and its message, with
 * the logs it quotes) says what was wrong. A test that needs no such message uses {@code await()} itself.
 */
public final class Eventually {

  /** How often a value is read when the caller does not say. */
  public static final Duration EVERY = Duration.ofMillis(100);

  private Eventually() {
  }

  /** Reads {@code read} every {@link #EVERY} until {@code done} holds or {@code atMost} passed; the last value read. */
  public static <T> T value(Duration atMost, Callable<T> read, Predicate<? super T> done) {
    return value(atMost, EVERY, read, done);
  }

  /** Reads {@code read} every {@code every} until {@code done} holds or {@code atMost} passed; the last value read. */
  public static <T> T value(Duration atMost, Duration every, Callable<T> read, Predicate<? super T> done) {
    AtomicReference<T> last = new AtomicReference<>();
    try {
      await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(every).until(() -> {
        T value = read.call();
        last.set(value);
        return done.test(value);
      });
    } catch (ConditionTimeoutException timedOut) {
      // the caller asserts on the last value and says what it expected
    }
    return last.get();
  }

  /** Whether {@code condition} came to hold within {@code atMost}, checked every {@code every}. */
  public static boolean holds(Duration atMost, Duration every, Callable<Boolean> condition) {
    return Boolean.TRUE.equals(value(atMost, every, condition, Boolean.TRUE::equals));
  }
}
