package org.bootfarm.coordinator.placement;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.bootfarm.coordinator.placement.CapableWorkers.Ranked;

/**
 * Chooses the worker for a build: among capable live workers, the repo's rendezvous
 * (highest-random-weight) order decides, limited by bounded load (Mirrokni, Thorup, Zadimoghaddam,
 * "Consistent Hashing with Bounded Loads", 2018), and a warm cache decides among the workers a
 * build spills to. Stateless and deterministic: the same request and the same set of workers, in
 * any order, give the same answer.
 *
 * <p><b>Capable</b>: alive, runs the request's package manager, has its arch, and has at least
 * the request's disk bytes free.
 *
 * <p><b>Rendezvous order</b>: capable workers sorted by {@link #score(String, WorkerView)},
 * highest first (ties by id): weighted rendezvous hashing of (repo, worker id) with the worker's
 * slots as weight. Rank 1 is the repo's <i>home</i>. A worker leaving moves only the repos whose
 * home it was; a worker joining becomes home to its share of the repos (its slots over all
 * slots), taken from the others. Weighting by slots matters: with plain rendezvous a 1-slot worker
 * is home to as many repos as an 8-slot one, and the bound then pushes many of them elsewhere.
 * Changing a worker's slots moves repos between it and the others in proportion to the change.
 *
 * <p><b>Load bound</b>, exactly: let {@code load(w) = busySlots + waitingBuilds}, {@code L} the sum
 * of loads over capable workers, {@code S} the sum of their slots, {@code c = 1 + epsilon}. The
 * average load per slot counting the build being placed is {@code (L + 1) / S}, so worker
 * {@code w}'s bound is {@code min(ceil(c * (L + 1) * slots(w) / S), maxBuildsPerSlot * slots(w))}.
 * A worker is <i>within the bound</i> when {@code load(w) < bound(w)}, i.e. it stays within it
 * after taking the build. Weighting by slots lets an 8-slot worker hold twice what a 4-slot one
 * does; the cap of {@code maxBuildsPerSlot} builds per slot keeps a build from being queued behind
 * too many others on one worker (then it waits in the coordinator's queue instead). Without the cap
 * some capable worker is always within the bound, because the bounds sum to at least
 * {@code c * (L + 1) > L}.
 *
 * <p><b>Choice</b>: the home, if it is within the bound. Otherwise the build spills: among the
 * capable workers within the bound, the best-ranked one whose cache for the repo is warm, else the
 * best-ranked one. A warm cache elsewhere never beats a home within the bound: that would keep a
 * repo on whatever worker once held it, so a joining worker would never take its share and a
 * returning one never get its repos back; rendezvous already keeps a repo on one worker, so the
 * home is where the cache is warm in the steady state. Among spill targets, whose rank carries no
 * stickiness of its own, the warm cache is worth more than rank.
 */
public final class RendezvousPlacement {
  /** The paper's epsilon: a worker holds at most about 1.25 times the average. */
  public static final double DEFAULT_EPSILON = 0.25;

  /**
   * At most this many builds (running plus waiting) per slot on one worker by default: one, so a worker is
   * never leased more builds than it has slots (ADR 0043). Builds that waited on a busy worker's slot held
   * leases there: a worker that died or was cut off lost all of them at once (up to 8 per slot in the chaos
   * benchmark), and they could not run on another worker's idle slot meanwhile. A build no worker has a free
   * slot for stays QUEUED in the coordinator and is placed when one frees. The constructor takes more for a
   * farm that prefers keeping a repo's builds home (warm cache) to starting them at once elsewhere.
   */
  public static final int DEFAULT_MAX_BUILDS_PER_SLOT = 1;

  /**
   * How long a build waits for its busy warm worker before an idle worker takes it ({@link StealingRule}): the
   * cost of a cold package cache, which ADR 0046 estimates from this project's debian-12 builds (11–13 s more
   * cold than warm on its 2-core machine), rounded up for a farm whose mirror is further away than a local one.
   * Since ADR 0052 the most a build waits: a repo whose recorded runs show a cheaper cold cache waits that
   * ({@link ColdCacheCosts}).
   */
  public static final Duration DEFAULT_STEAL_AFTER = Duration.ofSeconds(30);

  private static final int LISTED_IN_REASONS = 3;

  private final double epsilon;
  private final int maxBuildsPerSlot;
  private final Duration stealAfter;

  /** Placement with epsilon 0.25 and at most one build per slot ({@link #DEFAULT_MAX_BUILDS_PER_SLOT}). */
  public RendezvousPlacement() {
    this(DEFAULT_EPSILON, DEFAULT_MAX_BUILDS_PER_SLOT);
  }

  /** The default placement, stealing after {@code stealAfter}; null: {@link #DEFAULT_STEAL_AFTER}. */
  public static RendezvousPlacement stealingAfter(Duration stealAfter) {
    return new RendezvousPlacement(DEFAULT_EPSILON, DEFAULT_MAX_BUILDS_PER_SLOT,
        stealAfter == null ? DEFAULT_STEAL_AFTER : stealAfter);
  }

  /** Placement stealing after {@link #DEFAULT_STEAL_AFTER}. */
  public RendezvousPlacement(double epsilon, int maxBuildsPerSlot) {
    this(epsilon, maxBuildsPerSlot, DEFAULT_STEAL_AFTER);
  }

  /**
   * @param epsilon how far above the average load per slot a worker may go ({@code c = 1 +
   *     epsilon}); must be positive
   * @param maxBuildsPerSlot most builds (running plus waiting) one worker holds per slot; at least 1
   * @param stealAfter how long a build waits for its busy warm worker before an idle one takes it; zero spills
   *     it at once
   */
  public RendezvousPlacement(double epsilon, int maxBuildsPerSlot, Duration stealAfter) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException(
          "placement epsilon must be a positive number (0.25 is the default), was " + epsilon);
    }
    if (maxBuildsPerSlot < 1) {
      throw new IllegalArgumentException(
          "max builds per slot must be at least 1 (1 is the default), was " + maxBuildsPerSlot);
    }
    if (stealAfter == null || stealAfter.isNegative()) {
      throw new IllegalArgumentException("steal-after must be a duration of zero or more (e.g. PT30S, the default),"
          + " was " + stealAfter);
    }
    this.epsilon = epsilon;
    this.maxBuildsPerSlot = maxBuildsPerSlot;
    this.stealAfter = stealAfter;
  }

  /** How long a build waits for its busy warm worker before an idle one takes it ({@link StealingRule}). */
  public Duration stealAfter() {
    return stealAfter;
  }

  /** The {@code epsilon} of {@code c = 1 + epsilon}. */
  public double epsilon() {
    return epsilon;
  }

  /** Most builds one worker holds per slot. */
  public int maxBuildsPerSlot() {
    return maxBuildsPerSlot;
  }

  /**
   * The rendezvous score of a repo on a worker, highest first: {@code slots / -ln(u)} with
   * {@code u} the worker's {@link #hash} for the repo mapped into (0, 1) (weighted rendezvous
   * hashing, the "logarithmic method"), so a worker is home to a share of the repos proportional to
   * its slots. Computed with {@link StrictMath} so every JVM ranks alike. A worker with 0 slots
   * scores 0.
   */
  public static double score(String repo, WorkerView worker) {
    if (worker.slots() == 0) {
      return 0;
    }
    double unit = ((hash(repo, worker.id()) >>> 11) + 0.5) / 0x1p53;
    return worker.slots() / -StrictMath.log(unit);
  }

  /**
   * The stable 64-bit hash of a repo on a worker that rendezvous scores come from (FNV-1a 64 over
   * the UTF-8 bytes of the repo, a zero byte and the worker id, finished with the MurmurHash3
   * 64-bit finaliser for avalanche). Stable across JVMs and releases; changing it reshuffles every
   * repo's home and so every warm cache.
   */
  public static long hash(String repo, String workerId) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : repo.getBytes(StandardCharsets.UTF_8)) {
      hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
    }
    hash *= 0x100000001b3L; // the separator byte 0
    for (byte b : workerId.getBytes(StandardCharsets.UTF_8)) {
      hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
    }
    hash ^= hash >>> 33;
    hash *= 0xff51afd7ed558ccdL;
    hash ^= hash >>> 33;
    hash *= 0xc4ceb9fe1a85ec53L;
    hash ^= hash >>> 33;
    return hash;
  }

  /** The capable workers for a request in the repo's rendezvous order, home first. */
  public List<WorkerView> rendezvousOrder(PlacementRequest request, Collection<WorkerView> workers) {
    return capable(request, workers).ranked().stream().map(Ranked::worker).toList();
  }

  /**
   * The workers of {@code workers} that can run {@code request}, with the totals their bounds come from: what
   * {@link #place(CapableWorkers)} and {@link StealingRule} decide over.
   *
   * @throws IllegalArgumentException if two entries share a worker id
   */
  CapableWorkers capable(PlacementRequest request, Collection<WorkerView> workers) {
    return new CapableWorkers(this, request, workers);
  }

  /**
   * Places a build of {@code request.repo()} on one of {@code workers} (all workers the
   * coordinator knows, dead or alive, capable or not; listed once each, in any order).
   *
   * @throws IllegalArgumentException if two entries share a worker id
   */
  public Placement place(PlacementRequest request, Collection<WorkerView> workers) {
    return place(capable(request, workers));
  }

  /** {@link #place(PlacementRequest, Collection)} over workers already sorted out. */
  Placement place(CapableWorkers capable) {
    PlacementRequest request = capable.request();
    if (capable.isEmpty()) {
      return Placement.nowhere(NoCapableWorker.why(request, capable.all()));
    }
    WorkerView home = capable.home();
    if (capable.withinBound(home)) {
      return Placement.on(home.id(), chosenText(capable, home, 1));
    }

    List<Ranked> ranked = capable.ranked();
    Ranked firstWithin = null;
    Ranked firstWarmWithin = null;
    List<Ranked> passedOver = new ArrayList<>();
    for (Ranked r : ranked) {
      if (capable.withinBound(r.worker())) {
        if (firstWithin == null) {
          firstWithin = r;
        }
        if (r.worker().isWarmFor(request.repo())) {
          firstWarmWithin = r;
          break;
        }
      } else if (firstWithin == null) {
        passedOver.add(r);
      }
    }
    if (firstWithin == null) {
      String who = capable.size() == 1
          ? "the only live worker that " + runsText(request).replaceFirst("^run ", "runs ")
              + " is at its load bound ("
          : "all " + capable.size() + " live workers that " + runsText(request)
              + " are at their load bound (";
      return Placement.waiting(who + listBounds(ranked, capable) + "); waiting");
    }
    Ranked chosen = firstWarmWithin != null ? firstWarmWithin : firstWithin;
    StringBuilder reason = new StringBuilder(chosenText(capable, chosen.worker(), chosen.rank()))
        .append("; passed over ").append(listBounds(passedOver, capable));
    if (chosen != firstWithin) {
      reason.append("; its warm cache preferred over cold ").append(firstWithin.worker().id())
          .append(" (rank ").append(firstWithin.rank()).append(')');
    }
    return Placement.on(chosen.worker().id(), reason.toString());
  }

  /**
   * The best-ranked capable worker whose cache for the repo is warm and that is within its bound, placed with the
   * reason {@link #place} gives a worker it chooses followed by {@code why}; empty when there is none (ADR 0052:
   * where an overdue build goes instead of its cold home).
   */
  Optional<Placement> bestWarmWithinBound(CapableWorkers capable, String why) {
    List<WorkerView> warmWithin = new ArrayList<>();
    for (WorkerView w : capable.warm()) {
      if (capable.withinBound(w)) {
        warmWithin.add(w);
      }
    }
    return capable.best(warmWithin)
        .map(w -> Placement.on(w.id(), chosenText(capable, w, capable.rank(w)) + why));
  }

  /**
   * The best placement other than {@code firstWorkerId}: where the second build of a
   * reproducibility pair goes. Same rules as {@link #place}, with that worker left out.
   */
  public Placement secondChoice(
      PlacementRequest request, Collection<WorkerView> workers, String firstWorkerId) {
    CapableWorkers.requireUniqueIds(workers);
    List<WorkerView> others = new ArrayList<>(workers.size());
    for (WorkerView w : workers) {
      if (!w.id().equals(firstWorkerId)) {
        others.add(w);
      }
    }
    Placement second = place(request, others);
    return new Placement(second.outcome(), second.workerId(),
        "second choice after " + firstWorkerId + ": " + second.reason());
  }

  /** The bound of one capable worker given the capable workers' total load and slots. */
  long bound(WorkerView w, long totalLoad, long totalSlots) {
    if (totalSlots == 0 || w.slots() == 0) {
      return 0;
    }
    double share = (1 + epsilon) * (totalLoad + 1) * w.slots() / totalSlots;
    // Subtract a hair so that an exact integer product is not rounded up by float error.
    long bounded = (long) Math.ceil(share - 1e-9);
    return Math.min(bounded, (long) maxBuildsPerSlot * w.slots());
  }

  /** Whether score a (of worker id a) comes before score b in rendezvous order. */
  static boolean before(double scoreA, String idA, double scoreB, String idB) {
    int byScore = Double.compare(scoreA, scoreB);
    return byScore > 0 || (byScore == 0 && idA.compareTo(idB) < 0);
  }

  private static String describe(PlacementRequest request) {
    return request.repo() + " (" + request.packageManager() + ", " + request.arch() + ")";
  }

  private static String runsText(PlacementRequest request) {
    String text = "run " + request.packageManager() + " on " + request.arch();
    return request.diskBytes() > 0
        ? text + " with " + NoCapableWorker.bytesText(request.diskBytes()) + " free"
        : text;
  }

  private static String cacheState(WorkerView w, String repo) {
    WorkerView.WarmCache cache = w.warmCaches().get(repo);
    if (cache == null) {
      return "cache cold";
    }
    return cache.metadataRevision().isEmpty()
        ? "cache warm"
        : "cache warm (revision " + cache.metadataRevision() + ")";
  }

  private static String loadText(WorkerView w, long bound) {
    return "load " + (w.load() + 1) + "/" + bound + " (" + w.slots() + " slots)";
  }

  /** How placement names the worker it chose: its rank, the request, its cache and its load after the build. */
  private static String chosenText(CapableWorkers capable, WorkerView w, int rank) {
    return "worker " + w.id() + ": rank " + rank + " of " + capable.size() + " for " + describe(capable.request())
        + ", " + cacheState(w, capable.request().repo()) + ", " + loadText(w, capable.bound(w));
  }

  private static String listBounds(List<Ranked> ranked, CapableWorkers capable) {
    String listed = ranked.stream()
        .limit(LISTED_IN_REASONS)
        .map(r -> r.worker().id() + " rank " + r.rank() + " load " + r.worker().load() + "/"
            + capable.bound(r.worker()))
        .collect(Collectors.joining(", "));
    return ranked.size() > LISTED_IN_REASONS
        ? listed + " and " + (ranked.size() - LISTED_IN_REASONS) + " more"
        : listed;
  }
}
