package org.bootfarm.worker.agent;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.build.BuildEngine;
import org.bootfarm.worker.build.BuildRequest;
import org.bootfarm.worker.build.VariedEngine;
import org.bootfarm.worker.metrics.WorkerMetrics;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * The worker process's farm side: advertises the worker with a heartbeat, takes assignments from
 * its inbox, and for each fetches and checks the definition and components, runs the build engine
 * on one of its slots, streams the build's events, uploads the outputs and the build's whole log to
 * the artifact store and reports how the build ended. It talks to the coordinator only through the event bus and the
 * artifact store.
 *
 * <p>Builds outlive the cluster connection: they run on the agent's own threads, and when the
 * process has to rejoin the cluster (the last coordinator died) it {@link #detach}es and
 * {@link #attach}es the new node while they go on. A report is a request, sent again with backoff
 * until a coordinator answers or {@link Settings#reportPatience()} has passed; meanwhile the build
 * stays in the heartbeat's running list, so its lease is renewed. Uploads are retried the same way.
 *
 * <p>An assignment that carries a {@link BuildVariation} (the second side of a reproducibility pair) is
 * built by {@link VariedEngine} in an engine process of its own under that variation, its work and build
 * directories deeper by the variation's path prefix; the variation is the build log's first line. The
 * package cache is the worker's usual one (ADR 0021).
 *
 * <p>A {@link RunCancel} on the inbox (the build was cancelled while it ran here) stops that run: its slot
 * thread is interrupted, which stops the external tool it waits for with its whole process tree ({@link
 * org.bootfarm.worker.process.ExternalCommand}) or the varied engine process; nothing is uploaded but the
 * log, the build directory is removed, the slot is free at once and the run is reported CANCELLED (the
 * coordinator refuses that report, which ends its sending). A cancel of a run not held here is ignored.
 *
 * <p>Before the process stops it {@link #drain}s: it advertises no slots, so placement gives it no new
 * build, and waits for the builds it holds to finish and be reported; a build still held when the
 * drain gives up goes back to the queue when its lease runs out, as for a killed worker.
 */
public final class WorkerAgent implements AutoCloseable {
  /**
   * How the worker runs.
   *
   * @param packageManagers the package managers it runs and advertises, a subset of those it can run;
   *     empty for all of them
   * @param reportPatience how long a report (and an upload) is retried while no coordinator answers
   */
  public record Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis, List<String> packageManagers,
      Duration reportPatience) {
    public Settings {
      packageManagers = List.copyOf(packageManagers);
    }

    /** Every package manager this machine can run, reports retried for five minutes. */
    public Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis) {
      this(cacheDir, keysDir, slots, heartbeatMillis, List.of(), Duration.ofMinutes(5));
    }
  }

  /** The first wait before a report or upload is tried again; it doubles up to {@link #MAX_RETRY_WAIT}. */
  static final Duration FIRST_RETRY_WAIT = Duration.ofMillis(500);
  static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(2);
  /** How long one report waits for the coordinator's answer. */
  static final Duration REPORT_TIMEOUT = Duration.ofSeconds(10);

  private final String workerId;
  private final Settings settings;
  private final PackageDrivers drivers;
  private final ExecutorService slots;
  private final ScheduledExecutorService retries;
  /** Builds held here, by id: running, or finished with the report not yet answered. Their leases are renewed. */
  private final Map<String, Integer> held = new ConcurrentHashMap<>();
  /** The runs taken, as build id and attempt, so one assignment delivered twice runs once. */
  private final Set<String> runs = ConcurrentHashMap.newKeySet();
  /** Builds whose report was sent and not answered yet: it is being sent again. */
  private final Set<String> reportsWaiting = ConcurrentHashMap.newKeySet();
  /** The runs on a slot now, by build id: what a {@link RunCancel} stops. */
  private final Map<String, RunningBuild> running = new ConcurrentHashMap<>();
  private final AtomicInteger busy = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();
  /** Set by {@link #drain}: the heartbeat advertises no slots. */
  private volatile boolean draining;
  /** Set by {@link #leaveNow}: a drain in progress stops waiting. */
  private volatile boolean leaveNow;

  /** Where the builds are counted; null: nowhere. */
  private final WorkerMetrics metrics;
  /** The cluster connection now; null while detached. */
  private volatile Connection connection;

  /** One attached cluster node: its Vert.x, node id, inbox consumer and heartbeat timer. */
  private record Connection(Vertx vertx, String nodeId, MessageConsumer<Object> inbox, long heartbeatTimer) {}

  private WorkerAgent(String workerId, Settings settings, MeterRegistry registry) {
    this.workerId = WorkerInfo.requireValidId(workerId);
    this.settings = settings;
    this.metrics = registry == null ? null : new WorkerMetrics(registry, settings.slots(), busy::get);
    PackageDrivers standard = PackageDrivers.standard();
    this.drivers = settings.packageManagers().isEmpty() ? standard : standard.limitedTo(settings.packageManagers());
    this.slots = Executors.newFixedThreadPool(settings.slots(), daemonThreads("bootfarm-build-slot"));
    this.retries = Executors.newSingleThreadScheduledExecutor(daemonThreads("bootfarm-report-retry"));
  }

  /**
   * Starts taking work on the given (clustered) Vert.x instance under the given worker id.
   *
   * @param nodeId the cluster node id of this process, advertised so the coordinator can tell which
   *     workers a member leaving the cluster takes with it
   * @throws IllegalArgumentException for an invalid worker id, or package managers it cannot run
   */
  public static WorkerAgent start(Vertx vertx, String workerId, String nodeId, Settings settings) {
    WorkerAgent agent = create(workerId, settings);
    agent.attach(vertx, nodeId);
    return agent;
  }

  /**
   * A worker not attached to any cluster node yet: checks the id and the package managers before the
   * process spends time joining the cluster. {@link #attach} it to start taking work.
   *
   * @throws IllegalArgumentException for an invalid worker id, or package managers it cannot run
   */
  public static WorkerAgent create(String workerId, Settings settings) {
    return new WorkerAgent(workerId, settings, null);
  }

  /**
   * {@link #create(String, Settings)} with the worker's meters (docs/metrics.md) registered in {@code
   * registry} and fed by every build it runs.
   */
  public static WorkerAgent create(String workerId, Settings settings,
      MeterRegistry registry) {
    return new WorkerAgent(workerId, settings, registry);
  }

  /** The worker's id. */
  public String workerId() {
    return workerId;
  }

  /** The package managers it advertises. */
  public List<String> packageManagers() {
    return drivers.runnablePackageManagers();
  }

  /** Takes work from the cluster node {@code vertx} (after {@link #detach} from an earlier one). */
  public synchronized void attach(Vertx vertx, String nodeId) {
    if (connection != null) {
      throw new IllegalStateException("worker " + workerId + " is attached to node " + connection.nodeId()
          + " already: detach first");
    }
    MessageConsumer<Object> inbox = vertx.eventBus().consumer(Addresses.workerInbox(workerId),
        message -> accept(message.body()));
    inbox.completion().await();
    long timer = vertx.setPeriodic(0, settings.heartbeatMillis(), id -> heartbeat());
    connection = new Connection(vertx, nodeId, inbox, timer);
  }

  /**
   * Stops taking work from the current cluster node (which is about to close); running builds go on,
   * and their reports wait for the next {@link #attach}.
   */
  public synchronized void detach() {
    Connection current = connection;
    connection = null;
    if (current != null) {
      current.vertx().cancelTimer(current.heartbeatTimer());
      current.inbox().unregister(); // not awaited: the cluster it would tell may be gone
    }
  }

  private void heartbeat() {
    Connection current = connection;
    if (current == null) {
      return;
    }
    current.vertx().executeBlocking(() -> WorkerDescription.describe(workerId, current.nodeId(), drivers,
        settings.cacheDir(), draining ? 0 : settings.slots(), busy.get(), settings.heartbeatMillis(), List.copyOf(held.keySet())),
        false)
        .onSuccess(info -> current.vertx().eventBus().publish(Addresses.WORKER_HEARTBEAT,
            new JsonObject(WireJson.write(info))));
  }

  private void accept(Object body) {
    if (body instanceof JsonObject json && json.containsKey("cancel")) {
      try {
        cancel(WireJson.read(json.encode(), RunCancel.class));
      } catch (WireJson.WireFormatException e) {
        log("ignored a malformed run cancel on the inbox: " + e.getMessage());
      }
      return;
    }
    Assignment assignment;
    try {
      assignment = WireJson.read(String.valueOf(body), Assignment.class);
    } catch (WireJson.WireFormatException e) {
      log("ignored a message on the inbox that is neither an assignment nor a run cancel (a newer coordinator?): "
          + e.getMessage());
      return;
    }
    if (!runs.add(assignment.buildId() + "/" + assignment.attempt())) {
      return;
    }
    held.put(assignment.buildId(), assignment.attempt());
    RunningBuild self = new RunningBuild(assignment.attempt());
    running.put(assignment.buildId(), self);
    log("build " + assignment.buildId() + " (" + assignment.repo() + ") run " + (assignment.attempt() + 1)
        + " started");
    CompletableFuture.supplyAsync(() -> {
      try {
        return run(assignment, self);
      } catch (Exception e) {
        return failed(assignment, "worker error: " + e, "INTERNAL", false);
      }
    }, slots).whenComplete((report, error) -> running.remove(assignment.buildId(), self)).thenAccept(report -> {
      log("build " + report.buildId() + " run " + (report.attempt() + 1) + " ended " + report.state()
          + (report.error() == null ? "" : ": " + report.error()));
      sendReport(report, 1, System.nanoTime() + settings.reportPatience().toNanos());
      count(assignment, report);
    });
  }

  /** Stops the run the coordinator cancelled, if it runs here; ignores it (with a log line) otherwise. */
  private void cancel(RunCancel cancel) {
    RunningBuild run = running.get(cancel.cancel());
    String which = "build " + cancel.cancel() + " run " + (cancel.attempt() + 1);
    if (run == null || run.attempt != cancel.attempt()) {
      log(which + ": cancel ignored: this worker does not run it"
          + (run == null ? " (it ended already, or never ran here)" : " (it runs run " + (run.attempt + 1) + ")"));
      return;
    }
    if (run.cancel()) {
      log(which + ": cancelled by the coordinator; stopping it");
    }
  }

  /**
   * One run taken from the inbox: waiting for a slot, then on its slot thread, which a cancel interrupts
   * until the run {@link #end}s; the interrupt never reaches the slot thread's next build. A run cancelled
   * while it waits for a slot does not start.
   */
  private static final class RunningBuild {
    final int attempt;
    private Thread thread;
    private long cancelledAt;
    private boolean cancelled;
    private boolean ended;

    RunningBuild(int attempt) {
      this.attempt = attempt;
    }

    /** The run starts on the calling slot thread; false when it was cancelled before. */
    synchronized boolean start() {
      thread = Thread.currentThread();
      return !cancelled;
    }

    /** Interrupts the run (or keeps it from starting) unless it ended or was cancelled already; whether it did. */
    synchronized boolean cancel() {
      if (ended || cancelled) {
        return false;
      }
      cancelled = true;
      cancelledAt = System.nanoTime();
      if (thread != null) {
        thread.interrupt();
      }
      return true;
    }

    /** Called on the run's own thread when the build ended: clears a cancel's interrupt; whether it was cancelled. */
    synchronized boolean end() {
      ended = true;
      Thread.interrupted();
      return cancelled;
    }

    /** Seconds from the cancel to now. */
    synchronized double secondsSinceCancel() {
      return (System.nanoTime() - cancelledAt) / 1e9;
    }
  }

  /** Counts an ended build, and measures its repo's package cache, on the slot thread that ran it. */
  private void count(Assignment assignment, BuildReport report) {
    if (metrics == null) {
      return;
    }
    try {
      metrics.buildEnded(assignment.repo(), assignment.target(), report);
      metrics.cacheSize(assignment.repo(), WorkerDescription.repoCacheBytes(settings.cacheDir(), assignment.repo()));
    } catch (IOException | RuntimeException e) {
      log("build " + assignment.buildId() + " was not fully counted in the worker's metrics: " + e);
    }
  }

  /**
   * Sends a report as a request; on no answer (no coordinator consumes now, or it timed out) sends it
   * again after a growing wait, until the deadline. The build leaves the heartbeat's running list when a
   * coordinator answered (recorded or refused) or the patience ran out.
   */
  private void sendReport(BuildReport report, int tries, long deadline) {
    Connection current = connection;
    if (current == null) {
      retryReport(report, tries, deadline, "no cluster connection");
      return;
    }
    try {
      current.vertx().eventBus().request(Addresses.REPORT, new JsonObject(WireJson.write(report)),
          new DeliveryOptions().setSendTimeout(REPORT_TIMEOUT.toMillis())).onComplete(answer -> {
            if (answer.succeeded()) {
              JsonObject body = answer.result().body() instanceof JsonObject json ? json : new JsonObject();
              log("report of build " + report.buildId() + " run " + (report.attempt() + 1) + " "
                  + (body.getBoolean("recorded", false) ? "recorded" : "refused: " + body.getString("reason"))
                  + " after " + tries + " tr" + (tries == 1 ? "y" : "ies"));
              release(report);
            } else {
              retryReport(report, tries, deadline, answer.cause().toString());
            }
          });
    } catch (RuntimeException e) { // a closing Vert.x may throw instead of failing the future
      retryReport(report, tries, deadline, e.toString());
    }
  }

  private void retryReport(BuildReport report, int tries, long deadline, String why) {
    reportsWaiting.add(report.buildId());
    long wait = retryWait(tries).toNanos();
    if (System.nanoTime() + wait > deadline) {
      log("gave up reporting build " + report.buildId() + " after " + tries + " tries in "
          + settings.reportPatience() + " (" + why + "); the coordinator takes it back when its lease runs out");
      release(report);
      return;
    }
    if (tries == 1 || tries % 10 == 0) {
      log("report of build " + report.buildId() + " not answered (" + why + "); sending it again with backoff");
    }
    retries.schedule(() -> sendReport(report, tries + 1, deadline), wait, TimeUnit.NANOSECONDS);
  }

  private void release(BuildReport report) {
    reportsWaiting.remove(report.buildId());
    held.remove(report.buildId(), report.attempt());
  }

  /**
   * Drains this worker before its process stops: from now on it advertises no slots (a heartbeat goes
   * out at once), so placement gives it no new build, while the builds it holds run, upload and report
   * as usual, their leases renewed. Returns when no build is held, when {@code timeout} has passed or
   * when {@link #leaveNow} is called, with the builds still held then (empty: all finished and
   * reported). An assignment that was on its way when the drain began is still run.
   */
  public List<String> drain(Duration timeout) throws InterruptedException {
    draining = true;
    heartbeat();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!held.isEmpty() && !leaveNow && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return held.keySet().stream().sorted().toList();
  }

  /** Ends a {@link #drain} at once (a second stop signal): the builds still held go back with their leases. */
  public void leaveNow() {
    leaveNow = true;
  }

  /** The builds held now, sorted: running, or finished with the report not answered yet. */
  public List<String> heldBuilds() {
    return held.keySet().stream().sorted().toList();
  }

  /** The builds whose report no coordinator has answered yet, sorted: they are being sent again. */
  public List<String> reportsWaiting() {
    return reportsWaiting.stream().sorted().toList();
  }

  /** The wait after the {@code tries}-th failed try: doubling from {@link #FIRST_RETRY_WAIT}, capped. */
  static Duration retryWait(int tries) {
    Duration wait = FIRST_RETRY_WAIT;
    for (int i = 1; i < tries && wait.compareTo(MAX_RETRY_WAIT) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT : wait;
  }

  private void log(String message) {
    System.err.println("bootfarm worker " + workerId + ": " + message);
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * One build on one slot: inputs fetched and checked, the engine run, outputs uploaded, and the
   * build's whole log uploaded last (whatever the outcome), so the report can name it.
   */
  private BuildReport run(Assignment assignment, RunningBuild self) throws IOException, InterruptedException {
    busy.incrementAndGet();
    String id = assignment.buildId();
    Path work = settings.cacheDir().resolve("assignments").resolve(pathPrefix(assignment))
        .resolve(id + "-" + assignment.attempt());
    long deadline = System.nanoTime() + settings.reportPatience().toNanos();
    try (BuildLogFile log = new BuildLogFile(id, work.resolve("build.log"), event -> publish(id, event))) {
      BuildReport report;
      try {
        report = self.start() ? build(assignment, work, log, deadline) : null;
      } catch (InterruptedException e) {
        if (!self.end()) {
          throw e; // the worker is closing
        }
        report = null;
      } catch (IOException | RuntimeException e) {
        log.line("build", "worker " + workerId + " failed: " + e);
        report = failed(assignment, "worker error: " + e, "INTERNAL", false);
      }
      if (self.end()) {
        String stopped = "cancelled by the coordinator, stopped after "
            + String.format(java.util.Locale.ROOT, "%.1f", self.secondsSinceCancel()) + " s";
        log.line("build", stopped);
        log("build " + id + " run " + (assignment.attempt() + 1) + ": " + stopped);
        report = new BuildReport(id, workerId, assignment.attempt(), BuildState.CANCELLED, List.of(),
            report == null ? List.of() : report.stages(), "cancelled by the coordinator",
            BuildFailure.Kind.CANCELLED.name(), false, null, report == null ? null : report.packageCache());
      }
      return withLog(report, uploadLog(assignment, log, deadline));
    } finally {
      self.end();
      busy.decrementAndGet();
      FileTrees.deleteQuietly(work);
    }
  }

  /** Events are for watchers now: while the worker is between cluster nodes they are dropped. */
  private void publish(String buildId, BuildEvent event) {
    Connection current = connection;
    if (current != null) {
      try {
        current.vertx().eventBus().publish(Addresses.buildEvents(buildId), new JsonObject(WireJson.write(event)));
      } catch (RuntimeException closing) {
        // the node is closing under us: the next event goes to the next one
      }
    }
  }

  /** Fetches and checks the inputs, runs the engine with {@code log}, uploads the outputs. */
  private BuildReport build(Assignment assignment, Path work, BuildLog log, long deadline)
      throws IOException, InterruptedException {
    String id = assignment.buildId();
    Path definition = work.resolve("definition").resolve(assignment.repo());
    DefinitionFiles.write(assignment.definitionFiles(), definition);
    String digest = RepoDefinitionLoader.digest(definition);
    if (!digest.equals(assignment.definitionDigest())) {
      String error = "the definition of " + assignment.repo() + " arrived with digest " + digest
          + ", not the announced " + assignment.definitionDigest();
      log.line("build", error);
      return failed(assignment, error, "INPUT", false);
    }
    Map<String, Path> components = new HashMap<>();
    for (Map.Entry<String, String> component : assignment.components().entrySet()) {
      Path file = work.resolve("components").resolve(component.getKey());
      withRetries("build " + id + ": download of component " + component.getKey(), deadline,
          assignment.artifactsUrl(), url -> download(url, component.getValue(), file));
      components.put(component.getKey(), file);
    }
    Path out = work.resolve("out");
    BuildVariation variation = assignment.variation();
    BuildResult result;
    // both sides of a reproducibility pair (and every varied build) rebuild every stage: no stage cache read or filled
    boolean reuseStages = !assignment.mustBuildFromScratch() && (variation == null || variation.isStandard());
    // the coordinator's operator decides which repos may go unsigned; the assignment carries that decision
    List<String> allowUnsigned = assignment.allowsUnsigned() ? List.of(assignment.repo()) : List.of();
    if (variation == null || variation.isStandard()) {
      if (!reuseStages) {
        log.line("build", "from scratch: the stage cache is neither used nor filled");
      }
      result = new BuildEngine(drivers).run(new BuildRequest(definition, assignment.target(), components,
          out, settings.cacheDir(), settings.keysDir(), false, Optional.empty(), OptionalLong.empty(), false)
          .withReuseStages(reuseStages).withAllowUnsigned(allowUnsigned), log);
    } else {
      log.line("build", "variation: " + variation.describe());
      log.line("build", "from scratch: the stage cache is neither used nor filled");
      Path builds = settings.cacheDir().resolve("builds").resolve(pathPrefix(assignment));
      try {
        result = VariedEngine.run(new BuildRequest(definition, assignment.target(), components, out,
            settings.cacheDir(), settings.keysDir(), false, Optional.empty(), OptionalLong.empty(), false, builds)
            .withAllowUnsigned(allowUnsigned),
            drivers.runnablePackageManagers(), variation, log);
      } catch (BuildFailure refused) {
        log.line("build", "failed (" + refused.kind() + "): " + refused.getMessage());
        return failed(assignment, refused.getMessage(), refused.kind().name(), refused.kind().deterministic());
      }
    }
    if (!result.succeeded()) {
      BuildFailure.Kind kind = BuildFailure.Kind.valueOf(result.errorKind());
      log.line("build", "failed (" + kind + "): " + result.error());
      // with its cache use: the coordinator keeps it for successes only, the worker's metrics count it either way
      return new BuildReport(id, workerId, assignment.attempt(), BuildState.FAILED, List.of(), result.stages(),
          result.error(), kind.name(), kind.deterministic(), null, result.packageCache());
    }
    List<ArtifactRecord> uploaded = new ArrayList<>();
    for (ArtifactRecord artifact : result.artifacts()) {
      withRetries("build " + id + ": upload of " + artifact.name(), deadline,
          assignment.artifactsUrl(), url -> upload(url, artifact.sha256(), out.resolve(artifact.name())));
      uploaded.add(artifact);
    }
    return new BuildReport(id, workerId, assignment.attempt(), BuildState.SUCCEEDED, uploaded, result.stages(),
        null, null, false, null, result.packageCache());
  }

  /**
   * The extra directory levels a varied assignment's work and build directories go under (see
   * {@link BuildVariation#pathPrefix()}); empty for every other build.
   */
  private static String pathPrefix(Assignment assignment) {
    BuildVariation variation = assignment.variation();
    return variation == null || variation.pathPrefix() == null ? "" : variation.pathPrefix();
  }

  /**
   * Uploads the build's log to the artifact store and returns its sha256, or null when that failed:
   * the build's outcome stands without its log, and the reason goes to the worker's stderr.
   */
  private String uploadLog(Assignment assignment, BuildLogFile log, long deadline) throws InterruptedException {
    try {
      Path file = log.finish();
      String sha256 = Sha256.of(file);
      withRetries("build " + assignment.buildId() + ": upload of its log", deadline,
          assignment.artifactsUrl(), url -> upload(url, sha256, file));
      return sha256;
    } catch (IOException | RuntimeException e) {
      log("the log of build " + assignment.buildId() + " was not uploaded, its report goes without it: "
          + e.getMessage());
      return null;
    }
  }

  private static BuildReport withLog(BuildReport r, String log) {
    return new BuildReport(r.buildId(), r.workerId(), r.attempt(), r.state(), r.artifacts(), r.stages(), r.error(),
        r.errorKind(), r.deterministic(), log, r.packageCache());
  }

  private BuildReport failed(Assignment assignment, String error, String kind, boolean deterministic) {
    return new BuildReport(assignment.buildId(), workerId, assignment.attempt(), BuildState.FAILED, List.of(),
        List.of(), error, kind, deterministic, null);
  }

  /** A transfer to or from the artifact store at a base URL. */
  private interface Transfer {
    void run(String baseUrl) throws IOException, InterruptedException;
  }

  /** The store did not answer, or answered with a server error: worth trying again. */
  private static final class StoreUnavailable extends IOException {
    StoreUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Runs a transfer, trying again with backoff while the artifact store cannot be reached or answers
   * 5xx (its coordinator restarting), until {@code deadline}; any other failure ends it at once. Before
   * each new try it asks the cluster which coordinator serves the API now ({@link Addresses#INFO}): when
   * the one that assigned the build died and a standby took over, the transfer goes to the new one.
   */
  private void withRetries(String what, long deadline, String firstUrl, Transfer transfer)
      throws IOException, InterruptedException {
    String url = firstUrl;
    for (int tries = 1; ; tries++) {
      try {
        transfer.run(url);
        return;
      } catch (StoreUnavailable e) {
        String active = activeArtifactsUrl();
        if (active != null && !active.equals(url)) {
          log(what + ": the artifact store moved from " + url + " to " + active + " (another coordinator is active)");
          url = active;
          continue;
        }
        long wait = retryWait(tries).toNanos();
        if (System.nanoTime() + wait > deadline) {
          throw new IOException(what + " failed " + tries + " times: " + e.getMessage(), e);
        }
        if (tries == 1) {
          log(what + " failed (" + e.getMessage() + "); trying again with backoff");
        }
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    }
  }

  /** The HTTP base URL of the coordinator serving the API now, or null when none answers within 3 s. */
  private String activeArtifactsUrl() throws InterruptedException {
    Connection current = connection;
    if (current == null) {
      return null;
    }
    try {
      Object body = current.vertx().eventBus().request(Addresses.INFO, new JsonObject(),
          new DeliveryOptions().setSendTimeout(3000)).toCompletionStage().toCompletableFuture()
          .get(4, TimeUnit.SECONDS).body();
      return WireJson.read(String.valueOf(body), FarmInfo.class).artifactsUrl();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
        | WireJson.WireFormatException | RuntimeException e) {
      return null;
    }
  }

  /** Downloads an object from the artifact store and checks its sha256 before anything uses it. */
  private void download(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    Files.createDirectories(file.getParent());
    HttpResponse<InputStream> response;
    try {
      response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/artifacts/" + sha256)).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new StoreUnavailable("artifact store " + baseUrl + " unreachable: " + e, e);
    }
    try (InputStream in = response.body()) {
      if (response.statusCode() >= 500) {
        throw new StoreUnavailable("artifact " + sha256 + " answered HTTP " + response.statusCode(), null);
      }
      if (response.statusCode() != 200) {
        throw new IOException("artifact " + sha256 + " answered HTTP " + response.statusCode() + " at " + baseUrl);
      }
      try {
        Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new StoreUnavailable("artifact " + sha256 + " broke off while downloading from " + baseUrl + ": " + e, e);
      }
    }
    String actual = Sha256.of(file);
    if (!actual.equals(sha256)) {
      throw new IOException("artifact " + sha256 + " arrived as " + actual + ": refusing to build with it");
    }
  }

  private void upload(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    HttpResponse<String> response;
    try {
      response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/artifacts/" + sha256))
          .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new StoreUnavailable("artifact store " + baseUrl + " unreachable: " + e, e);
    }
    if (response.statusCode() >= 500) {
      throw new StoreUnavailable("upload of " + file.getFileName() + " answered HTTP " + response.statusCode(), null);
    }
    if (response.statusCode() != 200 && response.statusCode() != 201) {
      throw new IOException("upload of " + file.getFileName() + " (" + sha256 + ") answered HTTP "
          + response.statusCode() + ": " + response.body());
    }
  }

  /** Stops taking work and stops the slots and retries (running builds are interrupted). */
  @Override
  public void close() {
    detach();
    slots.shutdownNow();
    retries.shutdownNow();
  }
}
