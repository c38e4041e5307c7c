package org.bootfarm.coordinator.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The workers that can run one placement request, with what every choice among them is computed from, once: their
 * total load and slots (so each one's load bound), the repo's home and each worker's rendezvous rank.
 * {@link RendezvousPlacement} places over it and {@link StealingRule} reads the same object, so the rule's "warm
 * worker before a cold home" counts workers, bounds and ranks exactly as placement does.
 */
final class CapableWorkers {
  /** A capable worker and its place in the repo's rendezvous order (1: the home). */
  record Ranked(WorkerView worker, int rank) {}

  private final RendezvousPlacement placement;
  private final PlacementRequest request;
  private final Collection<WorkerView> all;
  private final List<WorkerView> capable = new ArrayList<>();
  private final long totalLoad;
  private final long totalSlots;
  private List<Ranked> ranked;

  /**
   * @param all every worker the coordinator knows, dead or alive, capable or not, listed once each
   * @throws IllegalArgumentException if two entries share a worker id
   */
  CapableWorkers(RendezvousPlacement placement, PlacementRequest request, Collection<WorkerView> all) {
    requireUniqueIds(all);
    this.placement = placement;
    this.request = request;
    this.all = all;
    long load = 0;
    long slots = 0;
    for (WorkerView w : all) {
      if (isCapable(w, request)) {
        capable.add(w);
        load += w.load();
        slots += w.slots();
      }
    }
    this.totalLoad = load;
    this.totalSlots = slots;
  }

  /**
   * Capable: alive, runs the request's package manager, has its arch, and has at least the request's disk bytes
   * free.
   */
  static boolean isCapable(WorkerView w, PlacementRequest request) {
    return w.alive()
        && w.packageManagers().contains(request.packageManager())
        && w.arch().equals(request.arch())
        && w.freeDiskBytes() >= request.diskBytes();
  }

  PlacementRequest request() {
    return request;
  }

  /** Every worker the answer was asked over, capable or not (to say why none is). */
  Collection<WorkerView> all() {
    return all;
  }

  boolean isEmpty() {
    return capable.isEmpty();
  }

  int size() {
    return capable.size();
  }

  /** Rank 1, found without sorting (the common case); call only when not {@link #isEmpty()}. */
  WorkerView home() {
    return best(capable).orElseThrow(() -> new IllegalStateException("no capable worker for " + request));
  }

  /** The capable worker with this id, if there is one. */
  Optional<WorkerView> withId(String id) {
    return capable.stream().filter(w -> w.id().equals(id)).findFirst();
  }

  /** The capable workers whose cache for the repo is warm, in rendezvous order. */
  List<WorkerView> warm() {
    List<WorkerView> warm = new ArrayList<>();
    for (WorkerView w : capable) {
      if (w.isWarmFor(request.repo())) {
        warm.add(w);
      }
    }
    return inRendezvousOrder(warm);
  }

  /** The best-ranked worker of {@code workers} (capable ones), if any: no sorting. */
  Optional<WorkerView> best(Collection<WorkerView> workers) {
    WorkerView best = null;
    double bestScore = 0;
    for (WorkerView w : workers) {
      double score = RendezvousPlacement.score(request.repo(), w);
      if (best == null || RendezvousPlacement.before(score, w.id(), bestScore, best.id())) {
        best = w;
        bestScore = score;
      }
    }
    return Optional.ofNullable(best);
  }

  /** A capable worker's rank: one more than the capable workers before it, counted without sorting. */
  int rank(WorkerView worker) {
    double score = RendezvousPlacement.score(request.repo(), worker);
    int rank = 1;
    for (WorkerView w : capable) {
      if (RendezvousPlacement.before(RendezvousPlacement.score(request.repo(), w), w.id(), score, worker.id())) {
        rank++;
      }
    }
    return rank;
  }

  /** All capable workers in rendezvous order, home first (sorted once, on first use). */
  List<Ranked> ranked() {
    if (ranked == null) {
      List<WorkerView> sorted = inRendezvousOrder(capable);
      List<Ranked> list = new ArrayList<>(sorted.size());
      for (int i = 0; i < sorted.size(); i++) {
        list.add(new Ranked(sorted.get(i), i + 1));
      }
      ranked = list;
    }
    return ranked;
  }

  /** A worker's bound given the capable workers' total load and slots ({@link RendezvousPlacement}). */
  long bound(WorkerView w) {
    return placement.bound(w, totalLoad, totalSlots);
  }

  /** Whether a worker stays within its bound after taking the build. */
  boolean withinBound(WorkerView w) {
    return w.load() < bound(w);
  }

  /** {@code workers} sorted by rendezvous score, highest first, ties by id; each score computed once. */
  private List<WorkerView> inRendezvousOrder(List<WorkerView> workers) {
    record Scored(WorkerView worker, double score) {}
    List<Scored> scored = new ArrayList<>(workers.size());
    for (WorkerView w : workers) {
      scored.add(new Scored(w, RendezvousPlacement.score(request.repo(), w)));
    }
    scored.sort((x, y) -> {
      int byScore = Double.compare(y.score, x.score);
      return byScore != 0 ? byScore : x.worker.id().compareTo(y.worker.id());
    });
    List<WorkerView> sorted = new ArrayList<>(scored.size());
    for (Scored s : scored) {
      sorted.add(s.worker);
    }
    return sorted;
  }

  /** @throws IllegalArgumentException if two entries share a worker id */
  static void requireUniqueIds(Collection<WorkerView> workers) {
    Set<String> seen = new HashSet<>();
    for (WorkerView w : workers) {
      if (!seen.add(w.id())) {
        throw new IllegalArgumentException("worker " + w.id()
            + " is listed twice; pass each worker's latest view once");
      }
    }
  }
}
