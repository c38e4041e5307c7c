package org.bootfarm.coordinator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.access.ApiPermissions;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.BuildInputIndex;
import org.bootfarm.coordinator.inputs.RebuildCheck;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.coordinator.placement.LiveWorkers;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.LeaseReconciler;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.retention.BuildPins;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.SubmitResults;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * The owner of a build's life, without any transport: every change of a build's state is decided here
 * and made through the store's compare-and-set transitions. A submission is checked and QUEUED
 * ({@link BuildAdmission}: recorded durably before the id is answered); queued builds are placed on the
 * live workers by rendezvous hashing with bounded load and RUNNING under a lease; heartbeats renew the leases; a
 * worker's report finishes the build, or re-queues it behind a backoff ({@link LeaseReconciler} decides
 * lost, failed and reported runs for it); a cancel ends it. Also answers the queries of {@link FarmApi}.
 * The event bus, bridge, HTTP adapters and the daemon's timers call this and only translate; every
 * change is told to the {@link BuildStateListener}.
 *
 * <pre>
 *   submit ─▶ QUEUED ─assign─▶ RUNNING ─report─▶ SUCCEEDED | FAILED
 *               ▲                 │ lost / transient failure, runs left: re-queued (retried)
 *               └─────────────────┘ no runs left, deterministic failure: FAILED
 *   QUEUED | RUNNING ─cancel─▶ CANCELLED
 * </pre>
 */
public final class BuildCoordinator implements FarmApi {
  /** The architecture every worker runs today; placement already understands others. */
  public static final String ARCH = "x86_64";
  /** The repo the farm builds its appliance from unless configured otherwise ({@code --appliance-repo}). */
  public static final String DEFAULT_APPLIANCE_REPO = "photon-2.0";
  /** The appliance target's name. */
  public static final String APPLIANCE = "appliance";
  private static final System.Logger LOG = System.getLogger(BuildCoordinator.class.getName());

  private final BuildStore store;
  private final RepoCatalog repos;
  private final Clock clock;
  private final Duration lease;
  private final LeaseReconciler leases;
  private final BuildStateListener stateListener;
  private final LiveWorkers workers = new LiveWorkers();
  private final BuildPins pins;
  private final BuildAdmission admission;
  private final ReportCheck reports;
  private final ReportRepeats repeats;
  private final PlacingPass placing;
  private final ApplianceRule appliance;
  private final BuildInputIndex inputs;
  private volatile BuildProvenance provenance = BuildProvenance.NONE; // signs successes, ADR 0044

  /** A coordinator whose state changes nobody hears (tests of the decisions alone). */
  public BuildCoordinator(BuildStore store, ArtifactStore artifacts, RepoCatalog repos,
      RendezvousPlacement placement, Clock clock, Duration lease) {
    this(store, artifacts, repos, placement, clock, lease, BuildStateListener.NONE);
  }

  /** On the store's own {@code clock} (leases are checked against its "now"), telling {@code stateListener}. */
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
    this(store, artifacts, repos, placement, clock, new LeasePolicy(lease, LeasePolicy.DEFAULT.reconcileEvery()),
        RetryPolicy.DEFAULT, stateListener, applianceRepo);
  }

  /**
   * @param lease how long a claimed or renewed build is held, and how often the leases are reconciled
   * @param retry how often, and after how long, a lost or transiently failed run is tried again
   */
  public BuildCoordinator(BuildStore store, ArtifactStore artifacts, RepoCatalog repos,
      RendezvousPlacement placement, Clock clock, LeasePolicy lease, RetryPolicy retry,
      BuildStateListener stateListener, String applianceRepo) {
    this.appliance = new ApplianceRule(applianceRepo);
    this.store = store;
    this.repos = repos;
    this.clock = clock;
    this.lease = lease.duration();
    this.leases = LeaseReconciler.hearing(store, lease, retry);
    this.stateListener = stateListener;
    this.pins = new BuildPins(store, artifacts);
    this.reports = new ReportCheck(artifacts, leases, stateListener);
    this.repeats = new ReportRepeats(store);
    PinnedDefinitions definitions = new PinnedDefinitions(artifacts);
    this.placing = new PlacingPass(new BuildPlacer(repos, definitions, new HeldComponents(artifacts),
        placement, store, workers), store, stateListener);
    RecordedBuildInfos buildInfos = new RecordedBuildInfos(artifacts);
    this.admission = new BuildAdmission(store, artifacts, repos, new SubmissionCheck(repos, appliance),
        new RebuildCheck(artifacts, buildInfos, repos), definitions, clock, stateListener);
    this.inputs = new BuildInputIndex(store, buildInfos);
  }

  /**
   * A build handed to a worker: the build, where it goes, and, for a build of a reproducibility pair,
   * which side it is (side B is the one built under a varied environment); null for other builds; for a
   * rebuild from a record, the sha256 of the buildinfo whose lock it installs ({@link
   * BuildRecord#pinnedBuildinfo}); noCache: submitted with it (ADR 0048).
   */
  public record Assignment(BuildView build, String workerId, PairSide pairSide, String pinnedBuildinfo,
      boolean noCache) {
    public Assignment(BuildView build, String workerId, PairSide pairSide) {
      this(build, workerId, pairSide, null, false);
    }

    public Assignment(BuildView build, String workerId) {
      this(build, workerId, null);
    }
  }

  /**
   * Checks a submission against the catalog and the artifact store, records it as QUEUED and
   * returns its id, with {@code caller} as its submitter ({@link BuildAdmission}). Nothing is recorded for a refused
   * submission, among them every one whose options carry a key the farm reserves for itself ({@link
   * SubmissionCheck#RESERVED_OPTIONS}).
   */
  public String submit(Caller caller, SubmitRequest request) throws ApiException {
    return admission.submitted(caller, request, Map.of()).id();
  }

  /**
   * {@link #submit} for several submissions of one caller, recorded in one commit (docs/adr/0056): per submission in
   * order, its build's id, or why it was refused (nothing recorded for that one).
   */
  public List<SubmitResults.Result> submitEach(Caller caller, List<SubmitRequest> requests) {
    return admission.submittedEach(caller, requests);
  }

  /**
   * The coordinator's own submission of one side of a reproducibility pair (nightly, verify): {@code request} is
   * checked as any other (so it carries no reserved key itself), then recorded with {@code pairSide} ({@link
   * PairSide#sideA}, {@link PairSide#sideB}) among its options. No API reaches this (ADR 0040).
   */
  public String submitPairSide(Caller caller, SubmitRequest request, Map<String, Object> pairSide)
      throws ApiException {
    if (!SubmissionCheck.RESERVED_OPTIONS.containsAll(pairSide.keySet())) {
      throw new IllegalArgumentException("not a pair side's options: " + pairSide.keySet());
    }
    return admission.submitted(caller, request, pairSide).id();
  }

  public BuildView get(String id) throws ApiException {
    return store.get(id).map(BuildCoordinator::view)
        .orElseThrow(() -> new ApiException(ApiError.Code.NOT_FOUND, "no build " + id));
  }

  public List<BuildView> list(BuildQuery query) {
    return store.list(new BuildFilter(query.repo(), query.state(), query.limitOrDefault())).stream()
        .map(BuildCoordinator::view).toList();
  }

  /** Cancels a build for {@code caller}: its submitter, or an admin ({@link ApiPermissions#mayCancel}). */
  public BuildView cancel(Caller caller, String id) throws ApiException {
    BuildView current = get(id);
    String submittedBy = store.get(id).map(BuildRecord::submittedBy).orElse(null);
    if (!ApiPermissions.mayCancel(caller, submittedBy)) {
      LOG.log(System.Logger.Level.WARNING, "cancel of build {0} by {1} (role {2}) refused: it was submitted by {3}",
          id, caller.credential(), caller.role().word(), submittedBy == null ? "a client not recorded"
          : Caller.credentialOf(submittedBy));
      ApiError refused = ApiPermissions.cancelRefused(caller, id, submittedBy);
      throw new ApiException(refused.code(), refused.message());
    }
    BuildView cancelled = store.cancel(id).map(BuildCoordinator::view).orElseThrow(() -> new ApiException(
        ApiError.Code.CONFLICT, "build " + id + " is " + current.state() + " and can no longer be cancelled"));
    stateListener.changed(cancelled, "cancelled while " + current.state() + (cancelled.worker() == null
        || current.state() == BuildState.QUEUED ? "" : " on worker " + cancelled.worker()));
    if (current.state() == BuildState.RUNNING && current.worker() != null) {
      stateListener.cancelledWhileRunning(cancelled, current.worker(), current.attempts());
    }
    return cancelled;
  }

  /** Pins a finished build and its artifacts against retention ({@link BuildPins#pin}). */
  public BuildView pin(Caller caller, String id, PinRequest request) throws ApiException {
    return view(pins.pin(id, request.reason()));
  }

  /** Undoes {@link #pin}. */
  public BuildView unpin(Caller caller, String id) throws ApiException {
    return view(pins.unpin(id));
  }

  /**
   * Records a QUEUED rebuild of build {@code id} from its record for {@code caller} ({@link RebuildCheck}: refused,
   * nothing recorded, when something it pins is gone) and answers it.
   */
  public BuildView rebuild(Caller caller, String id) throws ApiException {
    BuildRecord original = store.get(id).orElseThrow(() -> new ApiException(ApiError.Code.NOT_FOUND, "no build " + id));
    return view(admission.rebuildOf(caller, original));
  }

  /**
   * Every definition of the catalog as it is now, with the digest builds submitted now are pinned to, or its
   * problems when it could not be loaded.
   */
  public List<RepoInfo> repos() {
    return repos.entries().stream().map(entry -> entry.definition()
        .map(def -> new RepoInfo(entry.name(), def.spec().packageManager(),
            targets(entry.name(), def.spec()), List.of(), def.unsigned(), entry.digest()))
        .orElseGet(() -> new RepoInfo(entry.name(), null, List.of(),
            entry.problems().stream().map(Object::toString).toList())))
        .toList();
  }

  /** The targets this farm builds from a repo: its bootstrap, and the appliance only from the appliance repo. */
  public List<String> targets(String repo, RepoSpec spec) {
    return appliance.targets(repo, spec);
  }

  /** The repo this farm builds its appliance from. */
  public String applianceRepo() {
    return appliance.applianceRepo();
  }

  /** A worker's heartbeat: it is alive, with these capabilities and caches, and this coordinator hears (ADR 0043). */
  public void workerSeen(WorkerInfo info) {
    leases.heard(info.id(), clock.instant());
    workers.seen(info);
  }

  /** A worker left the cluster: it gets no more builds (its runs are taken back by {@link #takeBackRunsOf}). */
  public void workerLeft(String workerId) {
    workers.left(workerId);
  }

  /**
   * The workers whose latest heartbeat came from cluster node {@code nodeId}: the ones a member leaving
   * the cluster takes with it. A worker that already came back on another node is not among them.
   */
  public List<String> workersOnNode(String nodeId) {
    return workers.onNode(nodeId);
  }

  public Collection<WorkerInfo> workers() {
    return workers.all();
  }

  /** A heartbeat's list of running builds: the worker's lease on each goes on for one more lease (holder only). */
  public void renewLeases(WorkerInfo info) {
    for (String buildId : info.running()) {
      store.renewLease(buildId, info.id(), clock.instant().plus(lease));
    }
  }

  /** Signs every success recorded from now on with {@code signer} (ADR 0044). */
  public void signProvenanceWith(BuildProvenance signer) {
    this.provenance = signer;
  }

  /**
   * A worker's report of one run: the build SUCCEEDED or FAILED, or, for a transient failure with runs
   * left, QUEUED again behind a backoff; REFUSED, changing nothing, when that worker no longer holds that
   * run of the build. A report naming an artifact the store does not hold as reported is not recorded: the run
   * is retried as a transient failure ({@link ReportCheck}). Told to the listener either way. A report the store
   * recorded already, sent again because its answer was lost, is REPEATED and changes nothing ({@link
   * ReportRepeats}).
   */
  public LeaseAction report(BuildReport report) {
    Instant now = clock.instant();
    leases.heard(report.workerId(), now);
    Optional<LeaseAction> repeated = repeats.repeated(report);
    if (repeated.isPresent()) {
      return repeated.get();
    }
    Optional<LeaseAction> refused = reports.refused(report, now);
    if (refused.isPresent()) {
      return refused.get();
    }
    LeaseAction action = report.state() == BuildState.SUCCEEDED
        ? leases.onSuccess(report.buildId(), report.workerId(), report.attempt(),
            BuildOutcome.succeeded(provenance.artifacts(report, now), report.log(), report.packageCache()), now)
        : leases.onFailure(report.buildId(), report.workerId(), report.attempt(), BuildOutcome.failed(
            report.error(), report.deterministic() ? ErrorKind.DETERMINISTIC : ErrorKind.TRANSIENT,
            report.artifacts(), report.log()), now);
    if (report.state() == BuildState.SUCCEEDED) {
      inputs.succeeded(report.buildId()); // retention keeps a kept build's inputs from now on
      placing.heard(action); // a recorded success's run: its repo's cold cache cost (ADR 0052)
    }
    stateListener.leaseDecided(action);
    return action;
  }

  /** Re-queues (or, with no runs left, fails) every build whose lease ran out; returns how many it changed. */
  public int reconcileLeases() {
    return told(leases.reconcile(clock.instant()));
  }

  /** Membership said {@code workerId} left: its runs are lost when workers are heard (LeaseReconciler#workerLeft). */
  public int takeBackRunsOf(String workerId) {
    return told(leases.workerLeft(workerId, clock.instant()));
  }

  /**
   * On becoming the active coordinator: cold cache costs are read again (ADR 0052); every RUNNING build's lease
   * lasts one lease plus {@code rejoinGrace} from now, so its worker can rejoin and renew; returns how many.
   */
  public int afterTakeover(Duration rejoinGrace) {
    placing.tookOver();
    return told(leases.afterRestart(clock.instant(), lease.plus(rejoinGrace)));
  }

  private int told(List<LeaseAction> actions) {
    actions.forEach(stateListener::leaseDecided);
    return actions.size();
  }

  /**
   * Places the queued builds whose backoff has passed, highest priority first, on live workers
   * ({@link BuildPlacer} advises where) and claims each under a lease; a build no worker can take now
   * keeps the reason in its record, and placement reads on past it ({@link PlacingPass}: page by page, in
   * placement order) to the end of the queue or until {@code maxBuilds} are placed. Side B of a pair waits for
   * side A to succeed, is recorded as a rebuild of side A's buildinfo before it is claimed, and fails when side A
   * did not succeed or no second worker can run it.
   */
  public List<Assignment> assign(int maxBuilds) {
    return placing.pass(maxBuilds, clock.instant(), lease);
  }

  /**
   * A build claimed by {@link #assign} whose assignment cannot be made (its pinned definition is gone from the
   * artifact store): FAILED with {@code why}, deterministically, since no other run could do better.
   */
  public void failUnassignable(String id, String why) {
    store.fail(id, why, ErrorKind.DETERMINISTIC).ifPresent(failed -> stateListener.changed(view(failed),
        "failed: " + why));
  }

  /** A stored build as the wire shows it. */
  public static BuildView view(BuildRecord r) {
    return new BuildView(r.id(), r.repo(), r.target(), r.components(),
        r.priority() == BuildPriority.NIGHTLY ? Priority.NIGHTLY : Priority.INTERACTIVE,
        r.state(), r.worker(), r.attempts(), r.placement(), r.artifacts(), r.error(),
        r.errorKind() == null ? null : r.errorKind().name(), text(r.submittedAt()), text(r.startedAt()),
        text(r.finishedAt()), r.log(), r.pinned(), r.packageCache(), r.unsigned(),
        r.submittedBy() == null ? null : Caller.clientOf(r.submittedBy()),
        r.submittedBy() == null ? null : Caller.kindOf(r.submittedBy()), r.definitionDigest(), r.rebuildOf());
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
