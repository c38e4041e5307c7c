package org.bootfarm.coordinator.replication;

import java.lang.System.Logger.Level;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import java.util.Optional;
import org.bootfarm.cluster.identity.SignedRecords;
import org.bootfarm.coordinator.queue.BuildRecord;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.api.v1.BuildState;

/**
 * A standby coordinator's copy of the active one's builds: follows the {@link
 * ReplicatedBuildStore#MAP} (an entry listener, after a snapshot of what is there already) and
 * writes every record into this coordinator's own store, so that its history keeps up and a
 * takeover starts from the live state. Records are applied one at a time in the order they arrive;
 * Hazelcast delivers the changes of one build in order, so each build ends as its last change.
 */
public final class BuildReplica implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(BuildReplica.class.getName());

  private final IMap<String, String> map;
  private final SqlBuildStore store;
  private final SignedRecords records;
  private final ExecutorService applier = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "bootfarm-build-replica");
    thread.setDaemon(true);
    return thread;
  });
  private volatile boolean following;
  private UUID listener;

  public BuildReplica(IMap<String, String> map, SqlBuildStore store) {
    this(map, store, SignedRecords.UNSECURED);
  }

  /** Adopting only records a coordinator of this farm sealed for their key (ADR 0031). */
  public BuildReplica(IMap<String, String> map, SqlBuildStore store, SignedRecords records) {
    this.map = map;
    this.store = store;
    this.records = records;
  }

  /** The listener's calls: each changed record goes to the applier, in arrival order. */
  private final class Changes implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      enqueue(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      enqueue(event.getKey(), event.getValue());
    }
  }

  /**
   * Starts following: the listener first, then the snapshot of the map behind whatever it already
   * delivered, so no change falls between the two. Returns once the snapshot is in the store.
   *
   * <p>A build this store holds as QUEUED or RUNNING that the map does not hold is not live in the
   * cluster (live records never expire from the map): this coordinator recorded it before it was
   * restarted and the active one never heard of it. It is failed here, with a message saying so,
   * so that a later takeover does not run a build nobody is waiting for.
   *
   * @return how many records the snapshot held
   */
  public synchronized int follow() {
    if (following) {
      return 0;
    }
    following = true;
    listener = map.addEntryListener(new Changes(), true);
    try {
      return applier.submit(() -> {
        int copied = copyAll();
        retireUnknownLiveBuilds();
        return copied;
      }).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while copying the map " + ReplicatedBuildStore.MAP, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot copy the map " + ReplicatedBuildStore.MAP + " into " + store.file()
          + ": " + e.getCause(), e.getCause());
    }
  }

  /**
   * Stops following and copies the whole map once more into the store: what a standby does when it
   * becomes the active coordinator, before it changes anything itself (its own writes must not come
   * back to it through the listener).
   *
   * @return how many records the map held
   */
  public synchronized int stopAndCopyAll() {
    following = false;
    if (listener != null) {
      map.removeEntryListener(listener);
      listener = null;
    }
    try {
      applier.submit(() -> { }).get(); // whatever was queued has run (and skipped itself)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // an empty task does not fail
    }
    return copyAll();
  }

  private void retireUnknownLiveBuilds() {
    for (BuildState state : List.of(BuildState.QUEUED, BuildState.RUNNING)) {
      for (BuildRecord build : store.list(new BuildFilter(null, state, Integer.MAX_VALUE))) {
        if (!map.containsKey(build.id())) {
          store.fail(build.id(), "this coordinator recorded the build as " + state + " before it restarted, but the"
              + " active coordinator does not know it (it was never replicated); submit it again if it is still"
              + " wanted", ErrorKind.TRANSIENT);
          LOG.log(Level.WARNING, "bootfarm: build " + build.id() + " was " + state + " in " + store.file()
              + " but is unknown to the active coordinator: marked FAILED here");
        }
      }
    }
  }

  private void enqueue(String key, String value) {
    if (following) {
      applier.execute(() -> {
        if (following) {
          apply(key, value);
        }
      });
    }
  }

  private int copyAll() {
    int copied = 0;
    for (Map.Entry<String, String> entry : map.entrySet()) {
      if (apply(entry.getKey(), entry.getValue())) {
        copied++;
      }
    }
    return copied;
  }

  private boolean apply(String key, String value) {
    Optional<String> json = records.open(ReplicatedBuildStore.MAP, key, value);
    if (json.isEmpty()) {
      return false;
    }
    try {
      BuildRecord build = BuildRecordJson.read(json.get());
      if (!build.id().equals(key)) {
        LOG.log(Level.WARNING, "bootfarm: the record under '" + key + "' in " + ReplicatedBuildStore.MAP
            + " is build " + build.id() + "'s; not adopted");
        return false;
      }
      store.upsert(build);
      return true;
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "bootfarm: a build record from " + ReplicatedBuildStore.MAP
          + " could not be copied into " + store.file() + ": " + e.getMessage(), e);
      return false;
    }
  }

  @Override
  public void close() {
    following = false;
    if (listener != null) {
      try {
        map.removeEntryListener(listener);
      } catch (RuntimeException e) {
        // the cluster is going away with this process
      }
      listener = null;
    }
    applier.shutdownNow();
  }
}
