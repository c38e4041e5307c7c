package org.bootfarm.coordinator;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.coordinator.placement.LiveWorkers;
import org.bootfarm.coordinator.placement.Placement;
import org.bootfarm.coordinator.placement.PlacementRequest;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.placement.WorkerView;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.repo.RepoDefinition;

/**
 * Where a queued build should go, by rendezvous hashing with bounded load over the live workers: a
 * worker, a reason to wait, or (for side B of a reproducibility pair that can never find a second worker)
 * a reason to fail; a build whose pinned definition is no longer stored fails too. Only advises: {@link BuildCoordinator#assign} makes the transition it advises.
 */
final class BuildPlacer {
  /** What to do with one queued build. */
  sealed interface Advice permits Place, Wait, Fail {
  }

  /** Claim it for {@code placement}'s worker; {@code side} is its side of a reproducibility pair, or null. */
  record Place(Placement placement, PairSide side) implements Advice {
  }

  /** Leave it queued, noting why. */
  record Wait(String reason) implements Advice {
  }

  /** Fail it, for {@code why}: no run of it can ever do what it is for. */
  record Fail(String why) implements Advice {
  }

  private final RepoCatalog repos;
  private final PinnedDefinitions definitions;
  private final RendezvousPlacement placement;
  private final BuildStore store;
  private final LiveWorkers workers;

  BuildPlacer(RepoCatalog repos, PinnedDefinitions definitions, RendezvousPlacement placement, BuildStore store,
      LiveWorkers workers) {
    this.repos = repos;
    this.definitions = definitions;
    this.placement = placement;
    this.store = store;
    this.workers = workers;
  }

  /** One placing pass: advises on queued builds in turn over one view of the workers. */
  Round round() {
    return new Round(workerViews());
  }

  /** A placing pass; {@link #claimed} counts each build claimed in it against its worker. */
  final class Round {
    private final Map<String, WorkerView> views;

    private Round(Map<String, WorkerView> views) {
      this.views = views;
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
      PlacementRequest request = PlacementRequest.of(queued.repo(), manager.get(), BuildCoordinator.ARCH);
      PairSide side = PairSide.of(queued.options()).orElse(null);
      if (side != null && side.isSideB()) {
        return sideB(side, request);
      }
      return advice(placement.place(request, views.values()), side);
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

    /** {@code worker} got a build in this pass: the next placements see it one build busier. */
    void claimed(String worker) {
      views.put(worker, views.get(worker).withOneMoreBuild());
    }

    /**
     * Where side B of a reproducibility pair goes: the best capable worker other than the one side A
     * runs or ran on ({@link RendezvousPlacement#secondChoice}). Waits while side A is not placed yet;
     * fails when no other live worker can run the repo at all (a pair needs two workers; the pair's
     * verdict is then FAILED with that error).
     */
    private Advice sideB(PairSide side, PlacementRequest request) {
      BuildRecord sideA = store.get(side.otherSide()).orElse(null);
      String firstWorker = sideA == null ? null : sideA.worker();
      if (firstWorker == null) {
        if (sideA == null || sideA.state() == BuildState.QUEUED || sideA.state() == BuildState.RUNNING) {
          return new Wait("side B of reproducibility pair " + side.pair() + ": waiting for side A (build "
              + side.otherSide() + ") to be placed, so as to go to another worker");
        }
        return new Fail("side A (build " + side.otherSide() + ") ended " + sideA.state()
            + " without running on any worker, so there is nothing to reproduce");
      }
      Placement placed = placement.secondChoice(request, views.values(), firstWorker);
      if (placed.outcome() == Placement.Outcome.NO_CAPABLE_WORKER) {
        return new Fail("no live worker other than " + firstWorker + " (which built side A, build "
            + side.otherSide() + ") can run " + request.packageManager() + " on " + request.arch()
            + ": a reproducibility pair needs two different workers; start a second worker that runs "
            + request.packageManager());
      }
      return advice(placed, side);
    }

    private Advice advice(Placement placed, PairSide side) {
      return placed.placed() ? new Place(placed, side) : new Wait(placed.reason());
    }
  }

  /** The live workers as placement sees them, counting builds leased to them but not yet started. */
  private Map<String, WorkerView> workerViews() {
    Map<String, Integer> leased = new HashMap<>();
    for (BuildRecord running : store.list(new BuildFilter(null, BuildState.RUNNING, 10_000))) {
      if (running.leaseOwner() != null) {
        leased.merge(running.leaseOwner(), 1, Integer::sum);
      }
    }
    return workers.views(leased);
  }
}
