package org.bootfarm.protocol.api.v1;

import java.util.List;

/**
 * What a worker advertises with every heartbeat: what it can run, how busy it is, and which repo
 * caches are warm on it (the coordinator's placement prefers those).
 *
 * @param id the worker's stable id ({@code --worker-id}, else kept in its data dir): it survives
 *     restarts, so its repos and warm caches stay its own
 * @param nodeId the cluster node id of the process that runs it now; the coordinator maps a member
 *     leaving the cluster to the workers it had
 * @param packageManagers the definition package managers it can build (dnf, tdnf, yum, apt)
 * @param heartbeatMillis how often it sends this
 * @param running the builds it is running or holds queued; their leases are renewed with each heartbeat
 */
public record WorkerInfo(
    String id, String nodeId, String version, String arch, List<String> packageManagers, int slots, int busySlots,
    long freeDiskBytes, List<WarmCache> warmCaches, long heartbeatMillis, List<String> running) {

  public WorkerInfo {
    packageManagers = List.copyOf(packageManagers);
    warmCaches = List.copyOf(warmCaches);
    running = running == null ? List.of() : List.copyOf(running);
  }

  /** What a worker id may be: 1-64 letters, digits, '.', '_' or '-' (it is part of an event-bus address). */
  public static final String ID_PATTERN = "[A-Za-z0-9._-]{1,64}";

  /**
   * Returns {@code id} when it is a valid worker id, else throws saying what a worker id may hold.
   *
   * @throws IllegalArgumentException for an id that does not match {@link #ID_PATTERN}
   */
  public static String requireValidId(String id) {
    if (id == null || !id.matches(ID_PATTERN)) {
      throw new IllegalArgumentException("worker id '" + id + "' is not 1-64 letters, digits, '.', '_' or '-';"
          + " give the worker such a name with --worker-id");
    }
    return id;
  }

  /** One repo's package cache on the worker. */
  public record WarmCache(String repo, String metadataRevision, long sizeBytes) {}
}
