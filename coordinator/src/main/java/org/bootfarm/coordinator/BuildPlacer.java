package org.bootfarm.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.coordinator.placement.LiveWorkers;
import org.bootfarm.coordinator.placement.Placement;
import org.bootfarm.coordinator.placement.PlacementRequest;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.placement.StealingRule;
import org.bootfarm.coordinator.placement.WorkerView;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.repo.RepoDefinition;

/**
 * Where a queued build should go, by rendezvous hashing with bounded load over the live workers: a
 * worker, a reason to wait, or a reason to fail: for side B of a reproducibility pair whose side A did not
 * succeed or that can never find a second worker, and for a build whose pinned definition or one of whose components
 * is no longer stored.
 * Side B rebuilds side A's record: it waits for side A to succeed and is placed as a rebuild of side A's
 * buildinfo (ADR 0038). Only advises: {@link BuildCoordinator#assign} makes the transition it advises.
 */
final class BuildPlacer {
  /** What to do with one queued build. */
  sealed interface Advice permits Place, Wait, Fail {
  }

  /**
   * Claim it for {@code placement}'s worker; {@code side} is its side of a reproducibility pair, or null; {@code
   * rebuild}, for side B, the record it rebuilds (pinned on the build before it is claimed), else null; {@code
   * stolenFrom}, when an idle worker takes it from its busy warm worker ({@link StealingRule}), that worker, else
   * null: the pass claims such a build only with room left once every build placed where it belongs was claimed.
   */
  record Place(Placement placement, PairSide side, Rebuild rebuild, String stolenFrom) implements Advice {
  }

  /**
   * Side B of a pair rebuilds build {@code original} from its buildinfo {@code buildinfoSha256} and its pinned
   * definition {@code definitionDigest} (null for an original recorded before definitions were pinned).
   */
  record Rebuild(String original, String buildinfoSha256, String definitionDigest) {
  }

  /** Leave it queued, noting why. */
  record Wait(String reason) implements Advice {
  }

  /** Fail it, for {@code why}: no run of it can ever do what it is for. */
  record Fail(String why) implements Advice {
  }

  private final RepoCatalog repos;
  private final PinnedDefinitions definitions;
  private final HeldComponents components;
  private final RendezvousPlacement placement;
  private final StealingRule stealing;
  private final ColdCacheHistory coldCache;
  private final BuildStore store;
  private final LiveWorkers workers;

  BuildPlacer(RepoCatalog repos, PinnedDefinitions definitions, HeldComponents components,
      RendezvousPlacement placement, BuildStore store, LiveWorkers workers) {
    this.repos = repos;
    this.definitions = definitions;
    this.components = components;
    this.placement = placement;
    this.stealing = new StealingRule(placement);
    this.coldCache = new ColdCacheHistory(store, placement.stealAfter());
    this.store = store;
    this.workers = workers;
  }

  /** A report was decided: a recorded success counts towards its repo's cold cache cost ({@link ColdCacheHistory}). */
  void heard(LeaseAction action) {
    coldCache.heard(action);
  }

  /**
   * This coordinator became the active one: the cold cache costs are read again from the store, which holds the
   * successes the previous active recorded since this one started ({@link ColdCacheHistory#reload}).
   */
  void tookOver() {
    coldCache.reload();
  }

  /** The live workers' change count ({@link LiveWorkers#changes}): what a skipped pass compares ({@link LastIdlePass}). */
  long workerChanges() {
    return workers.changes();
  }

  /** One placing pass at {@code now}: advises on queued builds in turn over one view of the workers. */
  Round round(Instant now) {
    return new Round(workerViews(), now);
  }

  /** A placing pass; {@link #claimed} counts each build claimed in it against its worker. */
  final class Round {
    private final Map<String, WorkerView> views;
    private final Instant now;
    private Instant timedChange; // see timedChange()
    /** Whether the artifact store holds each component this pass asked about: asked once per pass. */
    private final Map<String, Boolean> heldComponents = new HashMap<>();

    private Round(Map<String, WorkerView> views, Instant now) {
      this.views = views;
      this.now = now;
    }

    Advice advise(BuildRecord queued) {
      Optional<String> manager;
      try {
        manager = packageManager(queued);
      } catch (PinnedDefinitions.MissingDefinitionException e) {
        return new Fail(e.getMessage());
      }
      if (manager.isEmpty()) {
        return new Wait("repo " + queued.repo() + " is no longer a valid definition here");
      }
      Optional<String> missing = components.missing(queued, heldComponents);
      if (missing.isPresent()) {
        return new Fail(missing.get());
      }
      PlacementRequest request = PlacementRequest.of(queued.repo(), manager.get(), BuildCoordinator.ARCH);
      PairSide side = PairSide.of(queued.options()).orElse(null);
      if (side != null && side.isSideB()) {
        return sideB(queued, side, request);
      }
      Instant since = waitingSince(queued);
      Duration threshold = coldCache.costs().stealAfter(queued.repo(), queued.target());
      StealingRule.Decision decided = stealing.decide(request, views.values(), Duration.between(since, now), threshold);
      if (!decided.claims()) { // waiting: its threshold, or --steal-after's overdue rule, may place it later
        changesAt(since.plus(threshold));
        changesAt(since.plus(placement.stealAfter()));
      }
      return decided.claims() ? new Place(decided.placement(), side, null,
          decided.kind() == StealingRule.Kind.STEAL ? decided.warmWorker() : null)
          : new Wait(decided.placement().reason());
    }

    /**
     * The earliest instant after this pass's at which time alone may change the advice on a build it left waiting
     * (ADR 0052: it reaches its steal threshold, or --steal-after's overdue rule); empty when none would change.
     */
    Optional<Instant> timedChange() {
      return Optional.ofNullable(timedChange);
    }

    private void changesAt(Instant at) {
      if (at.isAfter(now) && (timedChange == null || at.isBefore(timedChange))) {
        timedChange = at;
      }
    }

    /** Since when a build has waited to be placed: its submission, or the end of its backoff when re-queued. */
    private static Instant waitingSince(BuildRecord queued) {
      Instant since = queued.submittedAt() == null ? Instant.EPOCH : queued.submittedAt();
      return queued.notBefore() != null && queued.notBefore().isAfter(since) ? queued.notBefore() : since;
    }

    /**
     * The package manager the build needs: its pinned definition's (the catalogue's entry when it still holds
     * those bytes, else the stored archive, so a pinned build places even after its directory changed or went);
     * a build recorded before pinning uses the catalogue's.
     */
    private Optional<String> packageManager(BuildRecord queued) throws PinnedDefinitions.MissingDefinitionException {
      Optional<RepoCatalog.Entry> entry = repos.find(queued.repo());
      String pinned = queued.definitionDigest();
      if (pinned == null || entry.map(e -> pinned.equals(e.digest())).orElse(false)) {
        return entry.flatMap(RepoCatalog.Entry::definition).map(RepoDefinition::spec).map(spec -> spec.packageManager());
      }
      return definitions.packageManager(queued.id(), queued.repo(), pinned);
    }

    /**
     * Whether every live worker holds its most builds ({@link RendezvousPlacement#maxBuildsPerSlot} per slot), so
     * no build can be placed in this pass, however far down the queue it reads; false without live workers (the
     * pass then notes on each build why it waits).
     */
    boolean full() {
      return views.values().stream().anyMatch(WorkerView::alive) && views.values().stream()
          .noneMatch(w -> w.alive() && w.load() < (long) placement.maxBuildsPerSlot() * w.slots());
    }

    /** Whether no worker is alive: nothing can be placed, and each build waits for the same reason whenever asked. */
    boolean noLiveWorker() {
      return views.values().stream().noneMatch(WorkerView::alive);
    }

    /** {@code worker} got a build in this pass: the next placements see it one build busier. */
    void claimed(String worker) {
      views.put(worker, views.get(worker).withOneMoreBuild());
    }

    /**
     * Where side B of a reproducibility pair goes: it rebuilds side A's record, so it waits while side A is
     * queued or running, fails when side A ended otherwise than SUCCEEDED (nothing to reproduce) or published no
     * buildinfo, and is placed, as a rebuild of side A's buildinfo, on the best capable worker other than the one
     * side A ran on ({@link RendezvousPlacement#secondChoice}); fails when no other live worker can run the repo at
     * all (a pair needs two workers; the pair's verdict is then FAILED with that error).
     */
    private Advice sideB(BuildRecord queued, PairSide side, PlacementRequest request) {
      BuildRecord sideA = store.get(side.otherSide()).orElse(null);
      if (sideA == null) {
        return new Fail("side A (build " + side.otherSide() + ") is not in the build store, so there is nothing to"
            + " reproduce");
      }
      if (PairSide.of(sideA.options()).map(PairSide::isSideB).orElse(false)) {
        return new Fail("build " + side.otherSide() + ", named as side A, is itself side B of a pair, so there is"
            + " nothing to reproduce: a side B rebuilds a build that is not waiting on another");
      }
      if (sideA.state() == BuildState.QUEUED || sideA.state() == BuildState.RUNNING) {
        return new Wait("side B of reproducibility pair " + side.pair() + ": waiting for side A (build "
            + side.otherSide() + ", " + sideA.state() + ") to succeed; side B rebuilds its record on another worker");
      }
      if (sideA.state() != BuildState.SUCCEEDED) {
        return new Fail("side A (build " + side.otherSide() + ") ended " + sideA.state()
            + ", so there is nothing to reproduce: side B rebuilds side A's record once side A succeeds");
      }
      Optional<String> buildinfo = RecordedBuildInfos.buildinfoOf(sideA);
      if (buildinfo.isEmpty()) {
        return new Fail("side A (build " + side.otherSide() + ") published no " + BuildInfo.FILE_NAME
            + ", so side B cannot rebuild its record");
      }
      if (queued.rebuildOf() != null && !queued.rebuildOf().equals(sideA.id())) {
        return new Fail("side B of pair " + side.pair() + " is already a rebuild of build " + queued.rebuildOf()
            + ", not of its side A (build " + sideA.id() + ")");
      }
      String firstWorker = sideA.worker();
      Placement placed = placement.secondChoice(request, views.values(), firstWorker);
      if (placed.outcome() == Placement.Outcome.NO_CAPABLE_WORKER) {
        return new Fail("no live worker other than " + firstWorker + " (which built side A, build "
            + side.otherSide() + ") can run " + request.packageManager() + " on " + request.arch()
            + ": a reproducibility pair needs two different workers; start a second worker that runs "
            + request.packageManager());
      }
      return advice(placed, side, new Rebuild(sideA.id(), buildinfo.get(), sideA.definitionDigest()));
    }

    private Advice advice(Placement placed, PairSide side, Rebuild rebuild) {
      return placed.placed() ? new Place(placed, side, rebuild, null) : new Wait(placed.reason());
    }
  }

  /** The live workers as placement sees them, counting builds leased to them but not yet started. */
  private Map<String, WorkerView> workerViews() {
    Map<String, Set<String>> leased = new HashMap<>();
    for (BuildRecord running : store.list(new BuildFilter(null, BuildState.RUNNING, 10_000))) {
      if (running.leaseOwner() != null) {
        leased.computeIfAbsent(running.leaseOwner(), owner -> new HashSet<>()).add(running.id());
      }
    }
    return workers.views(leased);
  }
}
