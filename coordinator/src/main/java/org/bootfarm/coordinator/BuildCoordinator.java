package org.bootfarm.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.Placement;
import org.bootfarm.coordinator.placement.PlacementRequest;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.placement.WorkerView;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.coordinator.retention.BuildPins;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * The coordinator's decisions, without any transport: accepts submissions (recorded durably before
 * the id is answered), answers queries, tracks the live workers from their heartbeats, and places
 * queued builds on them by rendezvous hashing with bounded load, under a lease. The event bus,
 * bridge and HTTP adapters call this and only translate.
 */
public final class BuildCoordinator implements FarmApi {
  /** The architecture every worker runs today; placement already understands others. */
  public static final String ARCH = "x86_64";
  /** The repo the farm builds its appliance from unless configured otherwise ({@code --appliance-repo}). */
  public static final String DEFAULT_APPLIANCE_REPO = "photon-2.0";
  /** The appliance target's name. */
  public static final String APPLIANCE = "appliance";

  private final BuildStore store;
  private final ArtifactStore artifacts;
  private final RepoCatalog repos;
  private final RendezvousPlacement placement;
  private final Clock clock;
  private final Duration lease;
  private final BuildStateListener stateListener;
  private final Map<String, WorkerInfo> workers = new ConcurrentHashMap<>();
  private final BuildPins pins;
  private final String applianceRepo;

  /** A coordinator whose state changes nobody hears (tests of the decisions alone). */
  public BuildCoordinator(BuildStore store, ArtifactStore artifacts, RepoCatalog repos,
      RendezvousPlacement placement, Clock clock, Duration lease) {
    this(store, artifacts, repos, placement, clock, lease, BuildStateListener.NONE);
  }

  /**
   * @param clock the clock the store was opened with: leases are checked against the store's "now"
   * @param lease how long a claimed build is held without a renewal
   * @param stateListener told of the claims and cancellations this coordinator makes
   */
  public BuildCoordinator(BuildStore store, ArtifactStore artifacts, RepoCatalog repos,
      RendezvousPlacement placement, Clock clock, Duration lease, BuildStateListener stateListener) {
    this(store, artifacts, repos, placement, clock, lease, stateListener, DEFAULT_APPLIANCE_REPO);
  }

  /**
   * @param applianceRepo the one repo this farm builds the appliance from (the seed: the appliance is never
   *     customised); an appliance of any other repo is refused at submission
   */
  public BuildCoordinator(BuildStore store, ArtifactStore artifacts, RepoCatalog repos,
      RendezvousPlacement placement, Clock clock, Duration lease, BuildStateListener stateListener,
      String applianceRepo) {
    this.applianceRepo = applianceRepo;
    this.store = store;
    this.artifacts = artifacts;
    this.repos = repos;
    this.placement = placement;
    this.clock = clock;
    this.lease = lease;
    this.stateListener = stateListener;
    this.pins = new BuildPins(store, artifacts);
  }

  /**
   * A build handed to a worker: the build, where it goes, and, for a build of a reproducibility pair,
   * which side it is (side B is the one built under a varied environment); null for other builds.
   */
  public record Assignment(BuildView build, String workerId, PairSide pairSide) {
    public Assignment(BuildView build, String workerId) {
      this(build, workerId, null);
    }
  }

  /**
   * Checks a submission against the catalog and the artifact store, records it as QUEUED and
   * returns its id. Nothing is recorded for a refused submission.
   */
  public String submit(SubmitRequest request) throws ApiException {
    List<String> problems = new ArrayList<>(request.problems());
    if (problems.isEmpty()) {
      RepoCatalog.Entry entry = repos.find(request.repo()).orElse(null);
      if (entry == null) {
        problems.add("repo: '" + request.repo() + "' is not a repo definition of this farm; known: "
            + repos.entries().stream().map(RepoCatalog.Entry::name).collect(Collectors.joining(", ")));
      } else if (entry.definition().isEmpty()) {
        problems.add("repo: '" + request.repo() + "' is an invalid definition: "
            + entry.problems().stream().map(Object::toString).collect(Collectors.joining("; ")));
      } else if (APPLIANCE.equals(request.targetOrDefault()) && !applianceRepo.equals(request.repo())) {
        problems.add("target: this farm builds the appliance only from its appliance repo '" + applianceRepo
            + "', not from '" + request.repo() + "' (the appliance is never customised; the coordinator's"
            + " --appliance-repo, config key appliance-repo, names that repo); build the bootstrap of '"
            + request.repo() + "' or the appliance of '" + applianceRepo + "'");
      } else if (!entry.definition().get().spec().supportsTarget(request.targetOrDefault())) {
        problems.add("target: '" + request.repo() + "' cannot build " + request.targetOrDefault()
            + (APPLIANCE.equals(request.targetOrDefault())
                ? ": its repo-spec.json has no packages.appliance" : ""));
      }
      request.components().forEach((name, sha256) -> {
        if (!touchComponent(sha256)) {
          problems.add("components." + name + ": " + sha256
              + " is not in the artifact store; upload it first (PUT /api/v1/artifacts/" + sha256 + ")");
        }
      });
    }
    if (!problems.isEmpty()) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "build refused", problems);
    }
    String id = store.nextId();
    BuildPriority priority = request.priorityOrDefault() == Priority.NIGHTLY
        ? BuildPriority.NIGHTLY : BuildPriority.INTERACTIVE;
    // the operator's --allow-unsigned decided when the catalog was read; the submitter has no say in it
    List<String> unsigned = repos.find(request.repo()).flatMap(RepoCatalog.Entry::definition)
        .map(RepoDefinition::unsigned).orElse(List.of());
    BuildRecord queued = BuildRecord.queued(id, request.repo(), request.targetOrDefault(), request.components(),
        priority, WireJson.write(request.options()), clock.instant(), unsigned);
    store.insert(queued);
    stateListener.submitted(view(queued));
    return id;
  }

  /**
   * Whether a named component is stored; restarts its age so that a retention pass running now
   * (whose live set does not yet hold this submission) cannot collect it under the new build.
   */
  private boolean touchComponent(String sha256) {
    try {
      return artifacts.touch(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read component " + sha256 + " in the artifact store", e);
    }
  }

  public BuildView get(String id) throws ApiException {
    return store.get(id).map(BuildCoordinator::view)
        .orElseThrow(() -> new ApiException(ApiError.Code.NOT_FOUND, "no build " + id));
  }

  public List<BuildView> list(BuildQuery query) {
    return store.list(new BuildFilter(query.repo(), query.state(), query.limitOrDefault())).stream()
        .map(BuildCoordinator::view).toList();
  }

  public BuildView cancel(String id) throws ApiException {
    BuildView current = get(id);
    BuildView cancelled = store.cancel(id).map(BuildCoordinator::view).orElseThrow(() -> new ApiException(
        ApiError.Code.CONFLICT, "build " + id + " is " + current.state() + " and can no longer be cancelled"));
    stateListener.changed(cancelled, "cancelled while " + current.state()
        + (cancelled.worker() == null || current.state() == BuildState.QUEUED ? "" : " on worker " + cancelled.worker()));
    if (current.state() == BuildState.RUNNING && current.worker() != null) {
      stateListener.cancelledWhileRunning(cancelled, current.worker(), current.attempts());
    }
    return cancelled;
  }

  /** Pins a finished build and its artifacts against retention ({@link BuildPins#pin}). */
  public BuildView pin(String id, PinRequest request) throws ApiException {
    return view(pins.pin(id, request.reason()));
  }

  /** Undoes {@link #pin}. */
  public BuildView unpin(String id) throws ApiException {
    return view(pins.unpin(id));
  }

  /** Every definition of the catalog, with its problems when it could not be loaded. */
  public List<RepoInfo> repos() {
    return repos.entries().stream().map(entry -> entry.definition()
        .map(def -> new RepoInfo(entry.name(), def.spec().packageManager(),
            targets(entry.name(), def.spec()), List.of(), def.unsigned()))
        .orElseGet(() -> new RepoInfo(entry.name(), null, List.of(),
            entry.problems().stream().map(Object::toString).toList())))
        .toList();
  }

  /** The targets this farm builds from a repo: its bootstrap, and the appliance only from the appliance repo. */
  public List<String> targets(String repo, RepoSpec spec) {
    return RepoSpec.TARGETS.stream().filter(spec::supportsTarget)
        .filter(target -> !APPLIANCE.equals(target) || applianceRepo.equals(repo)).toList();
  }

  /** The repo this farm builds its appliance from. */
  public String applianceRepo() {
    return applianceRepo;
  }

  /** A worker's heartbeat: it is alive, with these capabilities and caches. */
  public void workerSeen(WorkerInfo info) {
    workers.put(info.id(), info);
  }

  /** A worker left the cluster: it gets no more builds (its leases expire through the reconciler). */
  public void workerLeft(String workerId) {
    workers.remove(workerId);
  }

  /**
   * The workers whose latest heartbeat came from cluster node {@code nodeId}: the ones a member leaving
   * the cluster takes with it. A worker that already came back on another node is not among them.
   */
  public List<String> workersOnNode(String nodeId) {
    return workers.values().stream().filter(info -> nodeId.equals(info.nodeId())).map(WorkerInfo::id).sorted()
        .toList();
  }

  public Collection<WorkerInfo> workers() {
    return List.copyOf(workers.values());
  }

  /**
   * Places the queued builds whose backoff has passed, highest priority first, on live workers
   * and claims each under a lease; a build no worker can take now keeps the reason in its record.
   */
  public List<Assignment> assign(int maxBuilds) {
    Instant now = clock.instant();
    Map<String, WorkerView> views = workerViews();
    List<Assignment> assignments = new ArrayList<>();
    for (BuildRecord queued : store.nextQueued(now, maxBuilds)) {
      Optional<String> manager = repos.find(queued.repo()).flatMap(RepoCatalog.Entry::definition)
          .map(RepoDefinition::spec).map(spec -> spec.packageManager());
      if (manager.isEmpty()) {
        store.notePlacement(queued.id(), "repo " + queued.repo() + " is no longer a valid definition here");
        continue;
      }
      PlacementRequest request = PlacementRequest.of(queued.repo(), manager.get(), ARCH);
      PairSide side = PairSide.of(queued.options()).orElse(null);
      Placement placed;
      if (side != null && side.isSideB()) {
        Optional<Placement> second = placeSideB(queued, side, request, views);
        if (second.isEmpty()) {
          continue;
        }
        placed = second.get();
      } else {
        placed = placement.place(request, views.values());
      }
      if (!placed.placed()) {
        store.notePlacement(queued.id(), placed.reason());
        continue;
      }
      String worker = placed.workerId().orElseThrow();
      Optional<BuildRecord> claimed = store.claim(queued.id(), worker, now.plus(lease), placed.reason());
      if (claimed.isPresent()) {
        views.put(worker, views.get(worker).withOneMoreBuild());
        BuildView running = view(claimed.get());
        stateListener.changed(running, "running on worker " + worker + ": " + placed.reason());
        assignments.add(new Assignment(running, worker, side));
      }
    }
    return assignments;
  }

  /**
   * Where side B of a reproducibility pair goes: the best capable worker other than the one side A
   * runs or ran on ({@link RendezvousPlacement#secondChoice}). Empty, with the reason noted, while side A
   * is not placed yet; side B is failed, with the reason, when no other live worker can run the repo
   * at all (a pair needs two workers; the pair's verdict is then FAILED with that error).
   */
  private Optional<Placement> placeSideB(BuildRecord queued, PairSide side, PlacementRequest request,
      Map<String, WorkerView> views) {
    BuildRecord sideA = store.get(side.otherSide()).orElse(null);
    String firstWorker = sideA == null ? null : sideA.worker();
    if (firstWorker == null) {
      if (sideA == null || sideA.state() == BuildState.QUEUED || sideA.state() == BuildState.RUNNING) {
        store.notePlacement(queued.id(), "side B of reproducibility pair " + side.pair()
            + ": waiting for side A (build " + side.otherSide() + ") to be placed, so as to go to another worker");
      } else {
        failSideB(queued, "side A (build " + side.otherSide() + ") ended " + sideA.state()
            + " without running on any worker, so there is nothing to reproduce");
      }
      return Optional.empty();
    }
    Placement placed = placement.secondChoice(request, views.values(), firstWorker);
    if (placed.outcome() == Placement.Outcome.NO_CAPABLE_WORKER) {
      failSideB(queued, "no live worker other than " + firstWorker + " (which built side A, build "
          + side.otherSide() + ") can run " + request.packageManager() + " on " + request.arch()
          + ": a reproducibility pair needs two different workers; start a second worker that runs "
          + request.packageManager());
      return Optional.empty();
    }
    return Optional.of(placed);
  }

  private void failSideB(BuildRecord queued, String why) {
    store.fail(queued.id(), why, ErrorKind.DETERMINISTIC).ifPresent(failed ->
        stateListener.changed(view(failed), "failed: " + why));
  }

  /** The live workers as placement sees them, counting builds leased to them but not yet started. */
  private Map<String, WorkerView> workerViews() {
    Map<String, Integer> leased = new HashMap<>();
    for (BuildRecord running : store.list(new BuildFilter(null, BuildState.RUNNING,
        10_000))) {
      if (running.leaseOwner() != null) {
        leased.merge(running.leaseOwner(), 1, Integer::sum);
      }
    }
    Map<String, WorkerView> views = new HashMap<>();
    for (WorkerInfo info : workers.values()) {
      Map<String, WorkerView.WarmCache> caches = info.warmCaches().stream().collect(Collectors.toMap(
          WorkerInfo.WarmCache::repo, c -> new WorkerView.WarmCache(c.metadataRevision(), c.sizeBytes()),
          (a, b) -> a));
      int waiting = Math.max(0, leased.getOrDefault(info.id(), 0) - info.busySlots());
      views.put(info.id(), new WorkerView(info.id(), java.util.Set.copyOf(info.packageManagers()), info.arch(),
          info.slots(), info.busySlots(), waiting, info.freeDiskBytes(), caches, true));
    }
    return views;
  }

  /** A stored build as the wire shows it. */
  public static BuildView view(BuildRecord r) {
    return new BuildView(r.id(), r.repo(), r.target(), r.components(),
        r.priority() == BuildPriority.NIGHTLY ? Priority.NIGHTLY : Priority.INTERACTIVE,
        r.state(), r.worker(), r.attempts(), r.placement(), r.artifacts(), r.error(),
        r.errorKind() == null ? null : r.errorKind().name(), text(r.submittedAt()), text(r.startedAt()),
        text(r.finishedAt()), r.log(), r.pinned(), r.packageCache(), r.unsigned());
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
