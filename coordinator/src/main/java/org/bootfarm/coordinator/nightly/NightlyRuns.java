package org.bootfarm.coordinator.nightly;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.verdict.ReproducibilityJudge;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.InputDrift;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.Verdict;

/**
 * Nightly reproducibility runs and {@code verify} on the active coordinator. A run is recorded first
 * (a scheduled one keyed by its instant, so it runs once), then, for every repo of the catalog that
 * some live worker can run and every target its spec supports ({@link NightlyPlanner} plans which, and
 * with which components), a pair is submitted: side A placed as usual, side B (its options say so,
 * {@link PairSide}) once side A succeeded, on the best other capable worker, as a rebuild of side A's record (it
 * installs side A's buildinfo lock from the farm's archive, so a mirror update between the two sides changes
 * nothing; ADR 0038), both with priority NIGHTLY. A repo only one live worker can run gets a FAILED pair at once,
 * saying so. A background thread starts the run a schedule makes due, judges each pair once both builds ended
 * ({@link ReproducibilityJudge}, which may spawn xorriso and diffoscope: never on the event loop) and ends a run
 * when all its pairs are judged. A judged nightly pair whose side A succeeded also carries the drift of its inputs
 * since the previous night ({@link NightlyDrift}), apart from the verdict. Every state lives in the {@link
 * NightlyStore}, so a coordinator taking over carries on with the runs and pairs the old one left.
 *
 * <p>Components: a nightly build reuses the components of the newest SUCCEEDED build of the same
 * repo and target, else of the newest SUCCEEDED build of any repo; with none, the pair is FAILED and
 * says to submit one build with its components first.
 */
public final class NightlyRuns implements NightlyApi, AutoCloseable {
  /**
   * How long after its instant a scheduled run that no coordinator started is still started by one
   * becoming active (a takeover or a restart around the hour); older instants are skipped.
   */
  public static final Duration CATCH_UP = Duration.ofMinutes(10);
  /** Who a nightly run's builds are submitted by, whoever started the run: the farm itself. */
  public static final Caller NIGHTLY = Caller.ofFarm("nightly", AccessRole.ADMIN);
  private static final DateTimeFormatter COMPACT =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter COMPACT_MILLIS =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS").withZone(ZoneOffset.UTC);

  private final BuildCoordinator coordinator;
  private final NightlyPlanner planner;
  private final BuildStore builds;
  private final NightlyDrift drift;
  private final NightlyStore store;
  private final ReproducibilityJudge judge;
  private final NightlySchedule schedule;
  private final Clock clock;
  private final Consumer<String> log;
  private final Object runLock = new Object();
  private ScheduledExecutorService ticker;
  private volatile Instant activeSince;
  private volatile NightlyListener listener = NightlyListener.NONE;
  private volatile PairAttestation attestation = PairAttestation.NONE;

  public NightlyRuns(BuildCoordinator coordinator, BuildStore builds, RepoCatalog catalog, NightlyStore store,
      ReproducibilityJudge judge, RecordedBuildInfos buildInfos, NightlySchedule schedule, Clock clock,
      Consumer<String> log) {
    this(coordinator, builds, catalog, store, judge, buildInfos, schedule, clock, log, Map.of());
  }

  /**
   * @param buildInfos where side A's buildinfo (what side B rebuilds, what drift compares) is read from
   * @param components component name to sha256 (already in the artifact store) that every nightly build
   *     takes; empty to take those of the latest successful build
   */
  public NightlyRuns(BuildCoordinator coordinator, BuildStore builds, RepoCatalog catalog, NightlyStore store,
      ReproducibilityJudge judge, RecordedBuildInfos buildInfos, NightlySchedule schedule, Clock clock,
      Consumer<String> log, Map<String, String> components) {
    this.coordinator = coordinator;
    this.planner = new NightlyPlanner(coordinator, builds, catalog, components);
    this.builds = builds;
    this.drift = new NightlyDrift(store, builds, buildInfos);
    this.store = store;
    this.judge = judge;
    this.schedule = schedule;
    this.clock = clock;
    this.log = log;
    this.activeSince = clock.instant();
  }

  /** From now on, tells {@code listener} of every run started and every pair judged here. */
  public void listen(NightlyListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** From now on, has {@code signer} attest each pair judged REPRODUCIBLE before it is recorded (ADR 0044). */
  public void attestWith(PairAttestation signer) {
    this.attestation = Objects.requireNonNull(signer, "signer");
  }

  /** Records a pair as it is now; a judged one is told to the listener. */
  private void putPair(ReproducibilityPair pair) {
    store.putPair(pair);
    if (pair.hasVerdict()) {
      listener.judged(pair);
    }
  }

  /**
   * Starts the background thread that runs {@link #tick} every {@code every}: on the active coordinator
   * only, after it copied the cluster's nightly records into its store.
   */
  public synchronized void start(Duration every) {
    if (ticker != null) {
      return;
    }
    activeSince = clock.instant();
    ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "bootfarm-nightly");
      thread.setDaemon(true);
      return thread;
    });
    ticker.scheduleWithFixedDelay(() -> {
      try {
        tick();
      } catch (RuntimeException e) {
        log.accept("nightly: " + e);
      }
    }, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * One step of the background work: starts the scheduled run that is due (the latest instant at or
   * before now, if no run for it is recorded and it is at most {@link #CATCH_UP} older than this
   * coordinator's activation), judges every pair whose builds both ended, and ends the runs whose
   * pairs are all judged.
   */
  public void tick() {
    Instant now = clock.instant();
    Optional<Instant> due = schedule.lastAtOrBefore(now)
        .filter(instant -> !instant.isBefore(activeSince.minus(CATCH_UP)));
    if (due.isPresent() && !store.hasScheduled(due.get())) {
      startRun(NightlyReport.SCHEDULE, due.get());
    }
    for (ReproducibilityPair pair : store.openPairs()) {
      judgeIfEnded(pair);
    }
    endJudgedRuns();
  }

  @Override
  public NightlyReport latest() throws ApiException {
    NightlyReport newest = store.runs(1).stream().findFirst().orElseThrow(() -> new ApiException(
        ApiError.Code.NOT_FOUND, "no nightly run yet; start one with 'bootfarm nightly --now' or POST /api/v1/nightly"));
    return get(newest.id());
  }

  @Override
  public NightlyReport get(String id) throws ApiException {
    return store.report(id).orElseThrow(() -> new ApiException(ApiError.Code.NOT_FOUND, "no nightly run " + id
        + "; GET /api/v1/nightly lists the runs"));
  }

  @Override
  public List<NightlyReport> list(int limit) {
    return store.runs(Math.max(1, Math.min(limit, 1000)));
  }

  @Override
  public NightlyReport runNow(Caller caller) throws ApiException {
    NightlyReport run = startRun(NightlyReport.ON_DEMAND, null);
    log.accept("nightly run " + run.id() + " was asked for by client '" + caller.client() + "'");
    return get(run.id());
  }

  @Override
  public ReproducibilityPair pair(String id) throws ApiException {
    return store.pair(id).orElseThrow(() -> new ApiException(ApiError.Code.NOT_FOUND, "no reproducibility pair "
        + id));
  }

  @Override
  public ReproducibilityPair verify(Caller caller, String buildId) throws ApiException {
    BuildView left = coordinator.get(buildId);
    if (left.state() != BuildState.SUCCEEDED || left.worker() == null) {
      throw new ApiException(ApiError.Code.CONFLICT, "build " + buildId + " is " + left.state()
          + "; only a SUCCEEDED build can be verified (rebuilt on another worker and compared)");
    }
    BuildRecord original = builds.get(buildId).orElseThrow(() -> new ApiException(ApiError.Code.NOT_FOUND,
        "no build " + buildId));
    String buildinfo = RecordedBuildInfos.buildinfoOf(original).orElseThrow(() ->
        new ApiException(ApiError.Code.CONFLICT, "build " + buildId + " published no buildinfo.json, so it cannot be"
            + " rebuilt from its record; verify a build that published one (any build of this bootfarm does)"));
    Instant now = clock.instant();
    String pairId = "verify-" + buildId + "-" + COMPACT_MILLIS.format(now);
    String right = coordinator.submitPairSide(caller, new SubmitRequest(left.repo(), left.target(), left.components(),
        Priority.INTERACTIVE, null), PairSide.sideB(pairId, buildId));
    builds.pinAsRebuild(right, buildId, buildinfo, original.definitionDigest());
    ReproducibilityPair pair = new ReproducibilityPair(pairId, null, left.repo(), left.target(), buildId, right,
        left.worker(), null, null, null, null, now.toString(), null, null).withUnsigned(unsignedOf(right))
        .withRebuiltFrom(buildinfo);
    putPair(pair);
    log.accept("verify: build " + buildId + " (" + left.repo() + " " + left.target() + ", built on " + left.worker()
        + ") is rebuilt from its record (buildinfo " + buildinfo + ") as " + right + " on another worker; pair "
        + pairId);
    return pair;
  }

  /** Records a run, then submits its pairs; answers the run as recorded (without pairs). */
  NightlyReport startRun(String trigger, Instant scheduledFor) {
    synchronized (runLock) {
      Instant now = clock.instant();
      List<String> notes = new ArrayList<>();
      List<NightlyPlanner.Planned> planned = planner.plan(notes);
      String id = scheduledFor != null ? "sched-" + COMPACT.format(scheduledFor) + "Z"
          : "now-" + COMPACT_MILLIS.format(now) + "Z";
      NightlyReport run = new NightlyReport(id, trigger, scheduledFor == null ? null : scheduledFor.toString(),
          now.toString(), null, notes, List.of());
      if (!store.insertRun(run)) {
        return store.run(id).orElse(run);
      }
      listener.runStarted(run);
      int n = 0;
      for (NightlyPlanner.Planned pair : planned) {
        putPair(submit(run.id() + "-" + (++n), run.id(), pair, now));
      }
      log.accept("nightly run " + id + " (" + trigger + (scheduledFor == null ? "" : " for " + scheduledFor)
          + "): " + planned.size() + " reproducibility pairs" + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)));
      return run;
    }
  }

  /** Submits both sides of one pair, or gives the pair its FAILED verdict at once when it cannot run. */
  private ReproducibilityPair submit(String pairId, String runId, NightlyPlanner.Planned planned, Instant now) {
    if (planned.capableWorkers().size() < 2) {
      return failedAtOnce(pairId, runId, planned, now, "only one live worker (" + planned.capableWorkers().get(0)
          + ") runs " + planned.packageManager() + " on " + BuildCoordinator.ARCH
          + ": a reproducibility pair needs two different workers; start a second worker that runs "
          + planned.packageManager());
    }
    Map<String, String> components = planner.componentsFor(planned.repo(), planned.target());
    if (components.isEmpty()) {
      return failedAtOnce(pairId, runId, planned, now, "no components known for " + planned.repo() + " "
          + planned.target() + ": give the coordinator --nightly-component NAME=FILE, or submit one build with its"
          + " --component files first (a nightly build reuses those of the latest SUCCEEDED build)");
    }
    String left;
    String right;
    try {
      left = coordinator.submitPairSide(NIGHTLY, new SubmitRequest(planned.repo(), planned.target(), components,
          Priority.NIGHTLY, null), PairSide.sideA(pairId));
      right = coordinator.submitPairSide(NIGHTLY, new SubmitRequest(planned.repo(), planned.target(), components,
          Priority.NIGHTLY, null), PairSide.sideB(pairId, left));
    } catch (ApiException e) {
      return failedAtOnce(pairId, runId, planned, now, "the coordinator refused the nightly build: "
          + e.getMessage() + (e.error().problems().isEmpty() ? "" : " (" + String.join("; ", e.error().problems()) + ")"));
    }
    return new ReproducibilityPair(pairId, runId, planned.repo(), planned.target(), left, right, null, null, null,
        null, null, now.toString(), null, null).withUnsigned(unsignedOf(left));
  }

  /**
   * What a submitted build installs without a signature check, as the coordinator recorded it: the pair is
   * marked with it, so the report says UNSIGNED whatever the verdict.
   */
  private List<String> unsignedOf(String buildId) {
    try {
      return coordinator.get(buildId).unsigned();
    } catch (ApiException e) {
      return List.of();
    }
  }

  private static ReproducibilityPair failedAtOnce(String pairId, String runId, NightlyPlanner.Planned planned,
      Instant now,
      String error) {
    Verdict verdict = new Verdict(Verdict.Outcome.FAILED, null, null, planned.repo(), planned.target(), List.of(),
        List.of(), null, List.of(), null, List.of(), error);
    return new ReproducibilityPair(pairId, runId, planned.repo(), planned.target(), null, null, null, null, null,
        null, null, now.toString(), null, null).judged(verdict, now.toString(), null, null, null, null);
  }

  /** Judges a pair whose two builds both ended, and records the verdict; does nothing while one runs. */
  private void judgeIfEnded(ReproducibilityPair pair) {
    if (pair.left() == null || pair.right() == null) {
      return;
    }
    BuildView left;
    BuildView right;
    try {
      left = coordinator.get(pair.left());
      right = coordinator.get(pair.right());
    } catch (ApiException e) {
      Verdict gone = new Verdict(Verdict.Outcome.FAILED, pair.left(), pair.right(), pair.repo(), pair.target(),
          List.of(), List.of(), null, List.of(), null, List.of(), e.getMessage());
      putPair(pair.judged(gone, clock.instant().toString(), null, null, null, null));
      return;
    }
    if (!ended(left) || !ended(right)) {
      return;
    }
    Verdict verdict;
    try {
      verdict = judge.judge(left, right);
    } catch (IOException | RuntimeException e) {
      verdict = new Verdict(Verdict.Outcome.FAILED, left.id(), right.id(), left.repo(), left.target(), List.of(),
          List.of(), null, List.of(), null, List.of(), "the pair could not be judged: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    ReproducibilityPair judged = pair.judged(verdict, clock.instant().toString(), left.worker(), right.worker(),
        seconds(left), seconds(right), left.packageCache(), right.packageCache());
    String rebuilt = builds.get(right.id()).map(BuildRecord::pinnedBuildinfo).orElse(null);
    ReproducibilityPair recorded = withDrift(rebuilt == null ? judged : judged.withRebuiltFrom(rebuilt));
    try {
      recorded = attestation.attest(recorded);
    } catch (IOException | RuntimeException e) {
      log.accept("reproducibility pair " + pair.id() + " gets no signed attestation: " + e.getMessage());
    }
    putPair(recorded);
    log.accept("reproducibility pair " + pair.id() + " (" + pair.repo() + " " + pair.target() + ", builds "
        + left.id() + " on " + left.worker() + " and " + right.id() + " on " + right.worker() + "): "
        + verdict.outcome() + (verdict.firstDifferingStage() == null ? "" : ", first differing stage "
        + verdict.firstDifferingStage()) + (verdict.error() == null ? "" : ": " + verdict.error()));
  }

  /** A nightly pair whose side A succeeded, with the drift of its inputs since the previous night; others as is. */
  private ReproducibilityPair withDrift(ReproducibilityPair pair) {
    if (pair.run() == null) {
      return pair;
    }
    Optional<BuildRecord> sideA = builds.get(pair.left()).filter(b -> b.state() == BuildState.SUCCEEDED);
    if (sideA.isEmpty()) {
      return pair;
    }
    try {
      return pair.withDrift(drift.of(pair, sideA.get()));
    } catch (RuntimeException e) {
      return pair.withDrift(InputDrift.notCompared("the earlier pairs could not be read: " + e.getMessage()));
    }
  }

  private void endJudgedRuns() {
    synchronized (runLock) {
      for (NightlyReport run : store.openRuns()) {
        List<ReproducibilityPair> pairs = store.pairsOf(run.id());
        if (pairs.stream().allMatch(ReproducibilityPair::hasVerdict)) {
          store.putRun(run.endedAt(clock.instant().toString()));
          Map<Verdict.Outcome, Long> counts = pairs.stream().collect(Collectors.groupingBy(
              ReproducibilityPair::outcome, java.util.TreeMap::new, Collectors.counting()));
          log.accept("nightly run " + run.id() + " ended: " + pairs.size() + " pairs " + counts);
        }
      }
    }
  }

  private static boolean ended(BuildView build) {
    return build.state() != BuildState.QUEUED && build.state() != BuildState.RUNNING;
  }

  private static Double seconds(BuildView build) {
    if (build.startedAt() == null || build.finishedAt() == null) {
      return null;
    }
    return Duration.between(Instant.parse(build.startedAt()), Instant.parse(build.finishedAt())).toMillis() / 1000.0;
  }

  @Override
  public synchronized void close() {
    if (ticker != null) {
      ticker.shutdownNow();
      ticker = null;
    }
  }
}
