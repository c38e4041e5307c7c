package org.bootfarm.protocol.api.v1;

import java.util.List;

/**
 * What a worker advertises with every heartbeat: what it can run, how busy it is, and which repo
 * caches are warm on it (the coordinator's placement prefers those).
 *
 * @param packageManagers the definition package managers it can build (dnf, tdnf, yum, apt)
 * @param heartbeatMillis how often it sends this
 * @param running the builds it is running or holds queued; their leases are renewed with each heartbeat
 */
public record WorkerInfo(
    String id, String version, String arch, List<String> packageManagers, int slots, int busySlots,
    long freeDiskBytes, List<WarmCache> warmCaches, long heartbeatMillis, List<String> running) {

  public WorkerInfo {
    packageManagers = List.copyOf(packageManagers);
    warmCaches = List.copyOf(warmCaches);
    running = running == null ? List.of() : List.copyOf(running);
  }

  /** One repo's package cache on the worker. */
  public record WarmCache(String repo, String metadataRevision, long sizeBytes) {}
}
