package org.bootfarm.protocol.transfer;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Carries an artifact transfer through a coordinator's restart or failover: while the store
 * cannot be reached or answers a server error, it asks which coordinator serves the artifact
 * store now and moves there at once when that is another one, or else tries the same one again
 * after a {@link Backoff}, until a deadline. A failure not {@linkplain
 * ArtifactTransferException#worthRetrying() worth retrying} ends it at once.
 */
public final class StoreFailover {
  /** One try of a transfer against the store at a base URL. */
  @FunctionalInterface
  public interface Transfer {
    void run(String baseUrl) throws IOException, InterruptedException;
  }

  /** Which coordinator's HTTP base URL serves the artifact store now; null when nobody says. */
  @FunctionalInterface
  public interface ActiveStore {
    String baseUrl() throws InterruptedException;
  }

  private final Backoff backoff;
  private final ActiveStore active;
  private final Consumer<String> notes;

  /** @param notes where it says that a transfer moved or is retried (the caller's log) */
  public StoreFailover(Backoff backoff, ActiveStore active, Consumer<String> notes) {
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.active = Objects.requireNonNull(active, "active");
    this.notes = Objects.requireNonNull(notes, "notes");
  }

  /**
   * Runs {@code transfer} from {@code firstUrl} on until it succeeds, fails for good, or the next
   * wait would pass {@code deadline} (a {@link System#nanoTime()}).
   *
   * @param what what is moved, for the notes and the final error ("build 7: upload of disk.img")
   */
  public void run(String what, long deadline, String firstUrl, Transfer transfer)
      throws IOException, InterruptedException {
    String url = firstUrl;
    for (int tries = 1; ; tries++) {
      try {
        transfer.run(url);
        return;
      } catch (ArtifactTransferException e) {
        if (!e.worthRetrying()) {
          throw e;
        }
        String now = active.baseUrl();
        if (now != null && !now.equals(url)) {
          notes.accept(what + ": the artifact store moved from " + url + " to " + now
              + " (another coordinator is active)");
          url = now;
          continue;
        }
        Duration wait = backoff.delay(tries);
        if (System.nanoTime() + wait.toNanos() > deadline) {
          throw new IOException(what + " failed " + tries + " times: " + e.getMessage(), e);
        }
        if (tries == 1) {
          notes.accept(what + " failed (" + e.getMessage() + "); trying again with backoff");
        }
        TimeUnit.NANOSECONDS.sleep(wait.toNanos());
      }
    }
  }
}
