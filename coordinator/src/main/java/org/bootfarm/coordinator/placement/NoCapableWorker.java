package org.bootfarm.coordinator.placement;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Why no live worker can run a build, for its record: none alive, none runs its package manager, none on its
 * arch, or none with the disk it needs, each with what the operator can do about it.
 */
final class NoCapableWorker {
  private NoCapableWorker() {
  }

  static String why(PlacementRequest request, Collection<WorkerView> workers) {
    String pm = request.packageManager();
    List<WorkerView> live = workers.stream().filter(WorkerView::alive).toList();
    if (live.isEmpty()) {
      return "no live worker runs " + pm + ": " + (workers.isEmpty()
          ? "no worker has joined" : "none of the " + workers.size() + " known workers is alive")
          + "; waiting";
    }
    List<WorkerView> runsPm = live.stream().filter(w -> w.packageManagers().contains(pm)).toList();
    if (runsPm.isEmpty()) {
      Set<String> others = new TreeSet<>();
      live.forEach(w -> others.addAll(w.packageManagers()));
      return "no live worker runs " + pm + " (the " + live.size() + " live workers run "
          + (others.isEmpty() ? "nothing" : String.join(", ", others))
          + "); start a worker that runs " + pm;
    }
    List<WorkerView> onArch =
        runsPm.stream().filter(w -> w.arch().equals(request.arch())).toList();
    if (onArch.isEmpty()) {
      Set<String> arches = new TreeSet<>();
      runsPm.forEach(w -> arches.add(w.arch()));
      return "no live worker runs " + pm + " on " + request.arch() + " (the " + runsPm.size()
          + " that run " + pm + " are " + String.join(", ", arches) + "); start a "
          + request.arch() + " worker that runs " + pm;
    }
    WorkerView roomiest = onArch.stream()
        .max(Comparator.comparingLong(WorkerView::freeDiskBytes)
            .thenComparing(WorkerView::id, Comparator.reverseOrder()))
        .orElseThrow();
    return "no live worker that runs " + pm + " on " + request.arch() + " has "
        + bytesText(request.diskBytes()) + " free for " + request.repo() + " (most free: "
        + roomiest.id() + " with " + bytesText(roomiest.freeDiskBytes())
        + "); free disk on a worker or add one";
  }

  static String bytesText(long bytes) {
    if (bytes < 1024 * 1024) {
      return bytes + " bytes";
    }
    double mib = bytes / (1024.0 * 1024);
    return mib < 1024
        ? String.format(Locale.ROOT, "%.1f MiB", mib)
        : String.format(Locale.ROOT, "%.1f GiB", mib / 1024);
  }
}
