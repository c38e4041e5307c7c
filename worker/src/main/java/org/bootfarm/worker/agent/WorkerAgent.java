package org.bootfarm.worker.agent;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.cluster.PrivateDirectory;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.transfer.Backoff;
import org.bootfarm.worker.metrics.WorkerMetrics;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * The worker process's farm side, wired from the parts that each own one concern: it advertises the
 * worker ({@link HeartbeatPublisher}), takes assignments and run cancels from its inbox ({@link
 * InboxDispatcher}), runs each on one of its slots ({@link BuildSlots}) through the {@link
 * EngineLauncher}, which fetches the inputs and uploads the outputs and the build's whole log through the
 * farm's one artifact client ({@link RunTransfers}), and reports how the build ended ({@link
 * ReportSender}). It talks to the coordinator only through the event bus ({@link ClusterLink}) and the
 * artifact store.
 *
 * <p>Builds outlive the cluster connection: they run on the agent's own threads, and when the
 * process has to rejoin the cluster (the last coordinator died) it {@link #detach}es and
 * {@link #attach}es the new node while they go on. A report is a request, sent again with backoff
 * until a coordinator answers or {@link Settings#reportPatience()} has passed; meanwhile the build
 * stays in the heartbeat's running list, so its lease is renewed. Uploads are retried the same way.
 *
 * <p>An assignment that carries a {@link BuildVariation} (the second side of a reproducibility pair) is
 * built by the varied engine in a process of its own (see {@link EngineLauncher}). A {@link RunCancel}
 * on the inbox stops that run: nothing is uploaded but the log, the slot is free at once and the run is
 * reported CANCELLED (the coordinator refuses that report, which ends its sending). A cancel of a run
 * not held here is ignored.
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
   * @param storeToken the token sent to the coordinator's artifact store ({@code Authorization: Bearer}); a
   *     client of role {@code submit} in the coordinator's tokens file, {@code workers} by default; null: none
   * @param trustedCas PEM CA certificates an {@code https} artifact store may chain to besides the JDK's roots
   *     (the farm CA, {@code ca.pem} of the worker's member directory); host names are checked as always
   * @param actionCache whether a standard build may be served from the worker's action cache and fill it
   *     (docs/adr/0048); true unless the operator said {@code --no-action-cache}
   */
  public record Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis, List<String> packageManagers,
      Duration reportPatience, String storeToken, List<Path> trustedCas, boolean actionCache) {
    public Settings {
      packageManagers = List.copyOf(packageManagers);
      trustedCas = List.copyOf(trustedCas);
    }

    /** With the action cache. */
    public Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis, List<String> packageManagers,
        Duration reportPatience, String storeToken, List<Path> trustedCas) {
      this(cacheDir, keysDir, slots, heartbeatMillis, packageManagers, reportPatience, storeToken, trustedCas, true);
    }

    /** The same, with the action cache or without. */
    public Settings withActionCache(boolean use) {
      return new Settings(cacheDir, keysDir, slots, heartbeatMillis, packageManagers, reportPatience, storeToken,
          trustedCas, use);
    }

    /** Trusting only the JDK's roots for an {@code https} store. */
    public Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis, List<String> packageManagers,
        Duration reportPatience, String storeToken) {
      this(cacheDir, keysDir, slots, heartbeatMillis, packageManagers, reportPatience, storeToken, List.of());
    }

    /** Without a token for the artifact store. */
    public Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis, List<String> packageManagers,
        Duration reportPatience) {
      this(cacheDir, keysDir, slots, heartbeatMillis, packageManagers, reportPatience, null);
    }

    /** The same, sending {@code token} to the artifact store. */
    public Settings withStoreToken(String token) {
      return new Settings(cacheDir, keysDir, slots, heartbeatMillis, packageManagers, reportPatience, token,
          trustedCas, actionCache);
    }

    /** The same, trusting the CA certificates {@code cas} (PEM files) for an {@code https} artifact store. */
    public Settings withTrustedCas(List<Path> cas) {
      return new Settings(cacheDir, keysDir, slots, heartbeatMillis, packageManagers, reportPatience, storeToken,
          cas, actionCache);
    }

    /** Every package manager this machine can run, reports retried for five minutes. */
    public Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis) {
      this(cacheDir, keysDir, slots, heartbeatMillis, List.of(), Duration.ofMinutes(5));
    }
  }

  /** The wait before a report or transfer is tried again: from 0.5 s doubling to 2 s, up to half of it off at random. */
  static final Backoff RETRY_BACKOFF = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2), 0.5);

  private final String workerId;
  private final PackageDrivers drivers;
  private final ClusterLink link = new ClusterLink();
  private final BuildSlots slots;
  private final ReportSender reports;
  private final BuildMeters meters;
  private final EngineLauncher launcher;
  private final HeartbeatPublisher heartbeat;
  private final InboxDispatcher inbox;
  private final WorkerLog log;

  private WorkerAgent(String workerId, Settings settings, MeterRegistry registry) {
    this.workerId = WorkerInfo.requireValidId(workerId);
    this.log = new WorkerLog(workerId);
    try {
      // package caches, action cache, stage archives, build trees: the user this worker runs as reads them alone
      PrivateDirectory.ensure(settings.cacheDir(), "the worker's cache directory");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot make the worker's cache directory " + settings.cacheDir()
          + ": " + e.getMessage() + "; give --cache-dir a directory this user may create and own", e);
    }
    PackageDrivers.checkEnvironment(System.getenv());
    PackageDrivers standard = PackageDrivers.standard();
    this.drivers = settings.packageManagers().isEmpty() ? standard : standard.limitedTo(settings.packageManagers());
    this.slots = new BuildSlots(settings.slots(), log);
    this.meters = new BuildMeters(registry == null ? null : new WorkerMetrics(registry, settings.slots(), slots::busy),
        settings.cacheDir(), log);
    this.reports = new ReportSender(link, RETRY_BACKOFF, settings.reportPatience(), log, slots::release);
    this.launcher = new EngineLauncher(workerId, settings, drivers, link, new RunTransfers(link, RETRY_BACKOFF, log,
        settings.storeToken(), settings.trustedCas()), log);
    this.heartbeat = new HeartbeatPublisher(workerId, drivers, settings, slots, link);
    this.inbox = new InboxDispatcher(workerId, this::run, slots::cancel, meters::inboxRefused, log);
  }

  /**
   * Starts taking work on the given (clustered) Vert.x instance under the given worker id.
   *
   * @param nodeId the cluster node id of this process, advertised so the coordinator can tell which
   *     workers a member leaving the cluster takes with it
   * @throws IllegalArgumentException for an invalid worker id, package managers it cannot run, or a bad driver
   *     setting in its environment ({@link PackageDrivers#checkEnvironment})
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

  /**
   * Takes work from the farm's cluster {@code node} (after {@link #detach} from an earlier one), only
   * from its coordinators, as their certificates say (ADR 0031): what the commands do.
   */
  public void attach(ClusterNode node) {
    attach(node.vertx(), node.nodeId(), node.senderCheck(), node.coordinatorRequests());
  }

  /** Takes work from the cluster node {@code vertx} of a cluster run without certificates (one-JVM tests). */
  public void attach(Vertx vertx, String nodeId) {
    attach(vertx, nodeId, SenderCheck.UNSECURED, CoordinatorRequests.unsecured(vertx));
  }

  private synchronized void attach(Vertx vertx, String nodeId, SenderCheck senders, CoordinatorRequests requests) {
    ClusterLink.Node attached = link.node();
    if (attached != null) {
      throw new IllegalStateException("worker " + workerId + " is attached to node " + attached.nodeId()
          + " already: detach first");
    }
    link.attached(new ClusterLink.Node(vertx, nodeId, inbox.listen(vertx, senders), requests));
    heartbeat.start(vertx);
  }

  /**
   * Stops taking work from the current cluster node (which is about to close); running builds go on,
   * and their reports wait for the next {@link #attach}.
   */
  public synchronized void detach() {
    heartbeat.stop();
    link.detach();
  }

  /** Runs an assignment from the inbox on a slot, then reports and counts it. */
  private void run(Assignment assignment) {
    slots.take(assignment, launcher::launch, (taken, report) -> {
      log.info("build " + report.buildId() + " run " + (report.attempt() + 1) + " ended " + report.state()
          + (report.error() == null ? "" : ": " + report.error()));
      reports.send(report);
      meters.count(taken, report);
    });
  }

  /**
   * Drains this worker before its process stops: from now on it advertises no slots (a heartbeat goes
   * out at once), so placement gives it no new build, while the builds it holds run, upload and report
   * as usual, their leases renewed. Returns when no build is held, when {@code timeout} has passed or
   * when {@link #leaveNow} is called, with the builds still held then (empty: all finished and
   * reported). An assignment that was on its way when the drain began is still run.
   */
  public List<String> drain(Duration timeout) throws InterruptedException {
    slots.startDraining();
    heartbeat.publishNow();
    return slots.awaitNoneHeld(timeout);
  }

  /** Ends a {@link #drain} at once (a second stop signal): the builds still held go back with their leases. */
  public void leaveNow() {
    slots.leaveNow();
  }

  /** The builds held now, sorted: running, or finished with the report not answered yet. */
  public List<String> heldBuilds() {
    return slots.heldBuilds();
  }

  /** The builds whose report no coordinator has answered yet, sorted: they are being sent again. */
  public List<String> reportsWaiting() {
    return reports.waiting();
  }

  /** Stops taking work and stops the slots and retries (running builds are interrupted). */
  @Override
  public void close() {
    detach();
    slots.close();
    reports.close();
  }
}
