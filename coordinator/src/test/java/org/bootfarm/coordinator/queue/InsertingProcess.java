package org.bootfarm.coordinator.queue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * A child JVM for the kill -9 test: opens the store file given as its argument, inserts builds one
 * after another and prints each id on stdout as soon as {@code insert} returned, until it is killed.
 */
public final class InsertingProcess {
  private InsertingProcess() {}

  public static void main(String[] args) throws InterruptedException {
    SqlBuildStore store = SqlBuildStore.open(Path.of(args[0]), Clock.systemUTC());
    int count = Integer.parseInt(args[1]);
    for (int i = 0; i < count; i++) {
      String id = store.nextId();
      store.insert(BuildRecord.queued(id, "photon-2.0", "bootstrap", Map.of("tether", "ab".repeat(32)),
          BuildPriority.INTERACTIVE, "{\"n\":" + i + "}", Clock.systemUTC().instant()));
      System.out.println(id);
      System.out.flush();
    }
    Thread.sleep(Long.MAX_VALUE); // behaviour under test: never closes the store, the parent kills this process
  }
}
