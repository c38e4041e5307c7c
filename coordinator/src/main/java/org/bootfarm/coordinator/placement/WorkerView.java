package org.bootfarm.coordinator.placement;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What placement knows about one worker at one moment: what it can run (package managers, arch,
 * free disk), how many builds it holds against how many slots, which repos' package caches are
 * warm on it, and whether it is alive. An immutable snapshot; the coordinator builds a fresh one
 * from the worker's latest advertisement and its own lease table.
 *
 * @param id the worker's id, unique in the cluster (rendezvous hashing hashes it, so it must be
 *     stable across restarts of the same worker)
 * @param packageManagers package managers the worker can run, e.g. {@code dnf}, {@code tdnf},
 *     {@code yum}, {@code apt}
 * @param arch the machine architecture it builds for, e.g. {@code x86_64}
 * @param slots how many builds it runs at once (0 for a draining worker)
 * @param busySlots builds running on it now
 * @param waitingBuilds builds placed on it (leased to it) that wait for one of its slots
 * @param freeDiskBytes free bytes on its cache/build disk
 * @param warmCaches repo name to the cache it holds for that repo
 * @param alive whether it is a live cluster member with a current heartbeat
 */
public record WorkerView(
    String id,
    Set<String> packageManagers,
    String arch,
    int slots,
    int busySlots,
    int waitingBuilds,
    long freeDiskBytes,
    Map<String, WarmCache> warmCaches,
    boolean alive) {

  /**
   * A package cache a worker holds for one repo.
   *
   * @param metadataRevision the repo metadata revision the cache was last refreshed from
   *     (repomd revision or Release date); informational, shown in placement reasons
   * @param sizeBytes bytes the cache takes on disk
   */
  public record WarmCache(String metadataRevision, long sizeBytes) {
    public WarmCache {
      Objects.requireNonNull(metadataRevision, "metadataRevision (use \"\" when unknown)");
      if (sizeBytes < 0) {
        throw new IllegalArgumentException("warm cache size must be >= 0, was " + sizeBytes);
      }
    }
  }

  public WorkerView {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("worker id is missing: every worker needs a stable id");
    }
    Objects.requireNonNull(arch, () -> "worker " + id + ": arch is missing");
    packageManagers = Set.copyOf(Objects.requireNonNull(packageManagers,
        () -> "worker " + id + ": package managers are missing (use an empty set)"));
    warmCaches = Map.copyOf(Objects.requireNonNull(warmCaches,
        () -> "worker " + id + ": warm caches are missing (use an empty map)"));
    if (slots < 0 || busySlots < 0 || waitingBuilds < 0 || freeDiskBytes < 0) {
      throw new IllegalArgumentException("worker " + id + ": slots (" + slots + "), busy slots ("
          + busySlots + "), waiting builds (" + waitingBuilds + ") and free disk ("
          + freeDiskBytes + ") must all be >= 0");
    }
  }

  /** Builds this worker holds: running plus waiting for a slot. Placement balances this. */
  public int load() {
    return busySlots + waitingBuilds;
  }

  /** Whether this worker's cache for {@code repo} is warm. */
  public boolean isWarmFor(String repo) {
    return warmCaches.containsKey(repo);
  }

  /** The same worker holding one more build (running if a slot is free, else waiting). */
  public WorkerView withOneMoreBuild() {
    return busySlots < slots
        ? new WorkerView(id, packageManagers, arch, slots, busySlots + 1, waitingBuilds,
            freeDiskBytes, warmCaches, alive)
        : new WorkerView(id, packageManagers, arch, slots, busySlots, waitingBuilds + 1,
            freeDiskBytes, warmCaches, alive);
  }
}
