package org.bootfarm.coordinator.placement;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * The live workers as their latest heartbeats describe them, and how placement sees them. A worker is
 * added by its heartbeat and removed when membership says it left; safe for many threads.
 */
public final class LiveWorkers {
  private final Map<String, WorkerInfo> workers = new ConcurrentHashMap<>();
  private final AtomicLong changes = new AtomicLong();

  /** A worker's heartbeat: it is alive, with these capabilities and caches. */
  public void seen(WorkerInfo info) {
    WorkerInfo before = workers.put(info.id(), info);
    if (before == null || !placedBy(before).equals(placedBy(info))) {
      changes.incrementAndGet();
    }
  }

  /** A worker left the cluster: it gets no more builds. */
  public void left(String workerId) {
    if (workers.remove(workerId) != null) {
      changes.incrementAndGet();
    }
  }

  /**
   * A count that grows whenever a worker joins, leaves, or sends a heartbeat that differs from its last in what
   * {@link #views} makes of it for placement (not its free disk, which no placing pass asks for, nor its node or
   * cache sizes), after the change is in place: a placing pass that finds it unchanged sees the same workers.
   */
  public long changes() {
    return changes.get();
  }

  /** What placement reads of a heartbeat ({@link #views}): a new heartbeat equal in this changes nothing placed. */
  private static List<Object> placedBy(WorkerInfo info) {
    return List.of(info.packageManagers(), info.arch(), info.slots(), info.busySlots(), info.running(),
        info.warmCaches().stream().map(c -> c.repo() + '@' + c.metadataRevision()).toList());
  }

  /**
   * The workers whose latest heartbeat came from cluster node {@code nodeId}: the ones a member leaving
   * the cluster takes with it. A worker that already came back on another node is not among them.
   */
  public List<String> onNode(String nodeId) {
    return workers.values().stream().filter(info -> nodeId.equals(info.nodeId())).map(WorkerInfo::id).sorted()
        .toList();
  }

  public Collection<WorkerInfo> all() {
    return List.copyOf(workers.values());
  }

  /**
   * The live workers as placement sees them, counting the builds leased to each ({@code leased}: worker id
   * to the RUNNING builds whose lease it holds) but not yet started there. A build a worker's last heartbeat
   * listed whose lease it no longer holds (its report was recorded since) no longer takes a slot: with one build
   * per slot, that heartbeat's stale count would send the repo's next build away from its warm worker.
   */
  public Map<String, WorkerView> views(Map<String, Set<String>> leased) {
    Map<String, WorkerView> views = new HashMap<>();
    for (WorkerInfo info : workers.values()) {
      Map<String, WorkerView.WarmCache> caches = info.warmCaches().stream().collect(Collectors.toMap(
          WorkerInfo.WarmCache::repo, c -> new WorkerView.WarmCache(c.metadataRevision(), c.sizeBytes()),
          (a, b) -> a));
      Set<String> held = leased.getOrDefault(info.id(), Set.of());
      long ended = info.running().stream().filter(build -> !held.contains(build)).count();
      int busy = (int) Math.max(0, info.busySlots() - ended);
      int waiting = Math.max(0, held.size() - busy);
      views.put(info.id(), new WorkerView(info.id(), Set.copyOf(info.packageManagers()), info.arch(),
          info.slots(), busy, waiting, info.freeDiskBytes(), caches, true));
    }
    return views;
  }
}
