package org.bootfarm.coordinator.daemon;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.bootfarm.cluster.ClusterMember;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.cluster.NodeMetrics;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.BuildStateListener;
import org.bootfarm.coordinator.FarmApi;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.bus.BuildStatePublisher;
import org.bootfarm.coordinator.bus.EventBusApi;
import org.bootfarm.coordinator.bus.ForwardingFarmApi;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.bus.ForwardingNightlyApi;
import org.bootfarm.coordinator.bus.NightlyBusApi;
import org.bootfarm.coordinator.http.ApiHttpServer;
import org.bootfarm.coordinator.metrics.FarmMetrics;
import org.bootfarm.coordinator.nightly.NightlyApi;
import org.bootfarm.coordinator.nightly.NightlyRuns;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.coordinator.verdict.ReproducibilityJudge;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.LeaseReconciler;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.queue.SqliteBuildStore;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.coordinator.replication.BuildReplica;
import org.bootfarm.coordinator.replication.ReplicatedBuildStore;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * The coordinator process: opens the build store and artifact store in the data dir, reads the
 * repo catalog, serves the event-bus and HTTP APIs, and on timers hands queued builds to workers
 * and takes back the builds of workers whose leases ran out or who left the cluster. Reports from
 * workers finish builds, but only from the worker that still holds the lease. Every state change is
 * published on the build's event address (see {@link BuildStatePublisher}).
 *
 * <p>Several coordinators may run in one cluster (ADR 0018): the
 * oldest live one is active and does all of the above; the others are standbys that follow its
 * builds from the cluster map into their own stores, copy its artifacts, keep their worker table
 * from the heartbeats, and answer HTTP by forwarding to it. When the active one leaves, the next
 * oldest takes over: it copies the map into its store, gives the running builds a fresh lease and
 * starts serving and placing.
 */
public final class CoordinatorDaemon implements AutoCloseable {
  /** The version {@link Addresses#INFO} reports: the jar's, or {@code dev} when run from classes. */
  static final String VERSION = Objects.requireNonNullElse(
      CoordinatorDaemon.class.getPackage().getImplementationVersion(), "dev");

  /**
   * Where and how the coordinator runs.
   *
   * @param nightly when nightly reproducibility runs start ({@link NightlySchedule#DEFAULT}: 02:00 UTC)
   * @param nightlyComponents component name to file: stored (and pinned) at start, and used by nightly
   *     builds instead of the components of the latest successful build
   * @param applianceRepo the only repo the appliance target is built from ({@code --appliance-repo})
   * @param allowUnsigned the repos the operator allows to install packages without a signature check
   *     ({@code --allow-unsigned}); every other definition that would is refused
   */
  public record Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
      NightlySchedule nightly, Map<String, Path> nightlyComponents, String applianceRepo, Set<String> allowUnsigned) {
    public Settings {
      nightlyComponents = Map.copyOf(nightlyComponents);
      allowUnsigned = allowUnsigned == null ? Set.of() : Set.copyOf(allowUnsigned);
      if (applianceRepo == null || applianceRepo.isBlank()) {
        throw new IllegalArgumentException("--appliance-repo needs the name of a repo definition");
      }
    }

    /** Every repo must be signed throughout. */
    public Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
        Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
        NightlySchedule nightly, Map<String, Path> nightlyComponents, String applianceRepo) {
      this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention, nightly,
          nightlyComponents, applianceRepo, Set.of());
    }

    /** The appliance is built from {@link BuildCoordinator#DEFAULT_APPLIANCE_REPO}. */
    public Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
        Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
        NightlySchedule nightly, Map<String, Path> nightlyComponents) {
      this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention, nightly,
          nightlyComponents, BuildCoordinator.DEFAULT_APPLIANCE_REPO);
    }

    /** Nightly builds take the components of the latest successful build. */
    public Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
        Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
        NightlySchedule nightly) {
      this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention, nightly, Map.of());
    }
    /** With the default nightly schedule, 02:00 UTC. */
    public Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
        Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention) {
      this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention,
          NightlySchedule.parse(NightlySchedule.DEFAULT));
    }

    /** With the default retention: the last 10 successful builds per repo and target, collected hourly. */
    public Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
        Duration assignEvery, LeasePolicy lease, RetryPolicy retry) {
      this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, RetentionPolicy.Settings.DEFAULT);
    }
  }

  /** How long a finished nightly run or pair stays in the cluster map (each coordinator's store keeps it). */
  static final Duration NIGHTLY_IN_MAP = Duration.ofDays(7);
  /** How often the active coordinator checks the nightly schedule and judges the pairs whose builds ended. */
  static final Duration NIGHTLY_TICK = Duration.ofSeconds(1);
  /** How long a finished build stays in the cluster map (each coordinator's own store keeps it for good). */
  static final Duration HISTORY_IN_MAP = Duration.ofHours(24);
  /** Coordinator node id to its HTTP base URL, where the others copy its artifacts from. */
  static final String COORDINATORS_MAP = "bootfarm.v1.coordinators";
  /** How many of the newest builds a standby joining later fetches the artifacts of. */
  static final int CATCH_UP_BUILDS = 10_000;
  /** How long a standby waits for the active coordinator to answer a forwarded call. */
  static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(10);
  /**
   * What a coordinator that starts (or takes over) adds to one lease before it takes back the builds it
   * finds running: their workers may have to join the cluster again before they can renew (the
   * cluster's state died with the last coordinator), measured at 3-18 s here with four workers and the
   * coordinator starting at once on 2 busy cores.
   */
  static final Duration REJOIN_GRACE = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final Settings settings;
  private final ClusterMembership membership;
  private final String nodeId;
  private final SqliteBuildStore sqlite;
  private final IMap<String, String> map;
  private final BuildStore store;
  private final ArtifactStore artifacts;
  private final RepoCatalog catalog;
  private final BuildCoordinator coordinator;
  private final BuildStatePublisher states;
  private final LeaseReconciler reconciler;
  private final HttpServer http;
  private final String artifactsUrl;
  private final ArtifactReplication replication;
  private final IMap<String, String> coordinatorUrls;
  private final NightlyStore nightlyStore;
  private final NightlyRuns nightly;
  private final NodeMetrics nodeMetrics;
  /** Whether {@link #nodeMetrics} was made here (no cluster node gave one) and is closed with the daemon. */
  private final boolean ownsNodeMetrics;
  private final FarmMetrics metrics;
  private NightlyBusApi nightlyApi;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private final Clock clock = Clock.systemUTC();
  private BuildReplica replica;
  private EventBusApi api;
  private volatile boolean active;
  private volatile boolean activating;

  private CoordinatorDaemon(Vertx vertx, Settings settings, ClusterMembership membership, HazelcastInstance hazelcast,
      NodeMetrics nodeMetrics) throws IOException {
    this.vertx = vertx;
    this.ownsNodeMetrics = nodeMetrics == null;
    this.nodeMetrics = ownsNodeMetrics ? NodeMetrics.create("coordinator") : nodeMetrics;
    this.settings = settings;
    this.membership = membership;
    this.nodeId = membership == null ? "local" : membership.members().stream().filter(ClusterMember::local)
        .map(ClusterMember::nodeId).findFirst().orElse("local");
    Files.createDirectories(settings.dataDir());
    sqlite = SqliteBuildStore.open(settings.dataDir().resolve("builds.sqlite"), clock);
    map = hazelcast == null ? null : hazelcast.getMap(ReplicatedBuildStore.MAP);
    store = map == null ? sqlite : new ReplicatedBuildStore(sqlite, map, HISTORY_IN_MAP);
    artifacts = ArtifactStore.openAt(settings.dataDir().resolve("artifacts"), ArtifactStore.Options.defaults());
    catalog = RepoCatalog.read(settings.reposDir(), new LoadOptions(settings.keysDir(), false,
        settings.allowUnsigned()));
    describeUnsigned(catalog, settings.allowUnsigned()).forEach(line -> System.out.println("bootfarm coordinator: "
        + line));
    states = new BuildStatePublisher(vertx);
    coordinator = new BuildCoordinator(store, artifacts, catalog, new RendezvousPlacement(), clock,
        settings.lease().duration(), new PublishedAndCounted(), settings.applianceRepo());
    reconciler = new LeaseReconciler(store, settings.lease(), settings.retry());
    nightlyStore = NightlyStore.open(settings.dataDir().resolve("builds.sqlite"),
        hazelcast == null ? null : hazelcast.getMap(NightlyStore.MAP), NIGHTLY_IN_MAP);
    nightly = new NightlyRuns(coordinator, store, catalog, nightlyStore,
        new ReproducibilityJudge(artifacts, ReproducibilityJudge.Options.defaults()), settings.nightly(), clock,
        line -> System.out.println("bootfarm coordinator: " + line), storeNightlyComponents(settings, artifacts));
    metrics = new FarmMetrics(this.nodeMetrics.registry(), new FarmMetrics.Sources(
        catalog.entries().stream().map(RepoCatalog.Entry::name).toList(), sqlite, store,
        coordinator::workers, artifacts, nightlyStore, settings.nightly(), () -> active, settings.lease().duration(),
        clock));
    nightly.listen(metrics);
    // every coordinator keeps its worker table: heartbeats are published to all of them
    consumers.add(vertx.eventBus().<Object>consumer(Addresses.WORKER_HEARTBEAT, message -> heartbeat(message.body())));
    ArtifactReplication[] announcer = new ArtifactReplication[1];
    ForwardingFarmApi forwarding = new ForwardingFarmApi(vertx, FORWARD_TIMEOUT);
    http = new ApiHttpServer(vertx, new ActiveOrForwarded(forwarding),
        new ArtifactHttpEndpoint(vertx, artifacts, Duration.ofMinutes(5), stored -> {
          if (announcer[0] != null) {
            announcer[0].announce(stored);
          }
        }), new ActiveOrForwardedNightly(new ForwardingNightlyApi(forwarding)))
        .withMetrics(() -> {
          metrics.refresh();
          return this.nodeMetrics.scrape();
        })
        .listen(settings.httpHost(), settings.httpPort()).await();
    artifactsUrl = "http://" + settings.httpHost() + ":" + http.actualPort();
    replication = new ArtifactReplication(vertx, artifacts, artifactsUrl);
    replication.start().await();
    announcer[0] = replication;
    coordinatorUrls = hazelcast == null ? null : hazelcast.getMap(COORDINATORS_MAP);
    if (coordinatorUrls != null) {
      coordinatorUrls.set(nodeId, artifactsUrl);
    }
    if (isOldestCoordinator()) {
      activate("the oldest coordinator in the cluster").await();
    } else {
      replica = new BuildReplica(map, sqlite);
      int following = replica.follow();
      System.out.println("bootfarm coordinator " + nodeId + " is a standby behind " + activeCoordinator()
          + ": following " + following + " builds from the cluster map; HTTP calls are forwarded to it");
      catchUpOnArtifacts();
    }
    if (membership != null) {
      membership.subscribe(joined -> { }, left -> {
        if (left.role() == NodeRole.WORKER) {
          // workers keep their ids across restarts: only the ids whose latest heartbeat came from this node
          for (String workerId : coordinator.workersOnNode(left.nodeId())) {
            coordinator.workerLeft(workerId);
            metrics.workerLeft(workerId);
            if (active) {
              vertx.executeBlocking(() -> publish(reconciler.workerLeft(workerId, clock.instant())), false);
            }
          }
        } else if (left.role() == NodeRole.COORDINATOR) {
          takeOverIfOldest("coordinator " + left.nodeId() + " left the cluster");
        }
      });
      // the active one may have left between the check above and the subscription
      vertx.runOnContext(v -> takeOverIfOldest("the active coordinator left while this one started"));
    }
    // every coordinator collects its own artifact store; a standby's store follows the active one's history
    timers.add(new RetentionPolicy(store, artifacts, settings.retention().keepBuilds(),
        line -> System.err.println("bootfarm coordinator: " + line)).schedule(vertx, settings.retention().collectEvery()));
  }

  /** Puts the configured nightly components into the artifact store, pinned; returns name to sha256. */
  private static Map<String, String> storeNightlyComponents(Settings settings, ArtifactStore artifacts)
      throws IOException {
    Map<String, String> stored = new java.util.TreeMap<>();
    for (Map.Entry<String, Path> component : settings.nightlyComponents().entrySet()) {
      Path file = component.getValue();
      if (!Files.isRegularFile(file)) {
        throw new IOException("nightly component " + component.getKey() + ": " + file
            + " is not a readable file; fix --nightly-component");
      }
      String sha256 = org.bootfarm.protocol.Sha256.of(file);
      try (java.io.InputStream in = Files.newInputStream(file)) {
        artifacts.put(sha256, in);
      }
      artifacts.pin(sha256, "nightly component " + component.getKey());
      stored.put(component.getKey(), sha256);
    }
    return stored;
  }

  /** Publishes and counts the state changes the reconciler made; returns how many actions it took. */
  private int publish(List<LeaseAction> actions) {
    actions.forEach(this::changed);
    return actions.size();
  }

  /** One reconciler decision: published on the build's address and counted. */
  private void changed(LeaseAction action) {
    states.changed(action);
    metrics.changed(action);
  }

  /** The coordinator's own state changes: published on the build's address and counted. */
  private final class PublishedAndCounted implements BuildStateListener {
    @Override
    public void changed(BuildView build, String text) {
      states.changed(build, text);
      metrics.changed(build, text);
    }

    @Override
    public void submitted(BuildView build) {
      metrics.submitted(build);
    }

    /** Tells the worker to stop the run ({@link RunCancel} on its inbox), so its slot is free at once. */
    @Override
    public void cancelledWhileRunning(BuildView build, String worker, int attempt) {
      try {
        vertx.eventBus().send(Addresses.workerInbox(worker), new JsonObject(WireJson.write(new RunCancel(build.id(),
            attempt))));
        System.out.println("bootfarm coordinator: build " + build.id() + ": cancelled while running on worker "
            + worker + "; told it to stop");
      } catch (RuntimeException e) { // a closing event bus: the run goes on to its end and its report is refused
        System.err.println("bootfarm coordinator: build " + build.id() + ": cancelled while running on worker "
            + worker + ", but it could not be told to stop (" + e + "); it runs to its end");
      }
    }
  }

  /** Starts the coordinator on a clustered (or, for tests, local) Vert.x instance, alone: always active. */
  public static CoordinatorDaemon start(Vertx vertx, Settings settings, ClusterMembership membership)
      throws IOException {
    return new CoordinatorDaemon(vertx, settings, membership, null, null);
  }

  /**
   * Starts a coordinator that shares the cluster with others: active if it is the oldest live one,
   * a standby following the active one otherwise (its build state through {@code hazelcast}'s maps).
   */
  public static CoordinatorDaemon start(Vertx vertx, Settings settings, ClusterMembership membership,
      HazelcastInstance hazelcast) throws IOException {
    if (hazelcast != null && membership == null) {
      throw new IllegalArgumentException("a coordinator sharing state through Hazelcast needs the cluster membership"
          + " to know which coordinator is active");
    }
    return start(vertx, settings, membership, hazelcast, null);
  }

  /**
   * {@link #start(Vertx, Settings, ClusterMembership, HazelcastInstance)} with the farm's meters in {@code
   * nodeMetrics}, the registry {@code vertx} reports into (the cluster node's), served at {@code GET
   * /metrics}; null: a registry of the daemon's own, without Vert.x's meters.
   */
  public static CoordinatorDaemon start(Vertx vertx, Settings settings, ClusterMembership membership,
      HazelcastInstance hazelcast, NodeMetrics nodeMetrics) throws IOException {
    if (hazelcast != null && membership == null) {
      throw new IllegalArgumentException("a coordinator sharing state through Hazelcast needs the cluster membership"
          + " to know which coordinator is active");
    }
    return new CoordinatorDaemon(vertx, settings, membership, hazelcast, nodeMetrics);
  }

  /** The HTTP port it listens on (useful with port 0). */
  public int httpPort() {
    return http.actualPort();
  }

  public String artifactsUrl() {
    return artifactsUrl;
  }

  /** Whether this coordinator is the active one now (a standby forwards and follows). */
  public boolean active() {
    return active;
  }

  /** On the event loop: a standby that is now the oldest coordinator becomes the active one. */
  private void takeOverIfOldest(String why) {
    if (!active && !activating && isOldestCoordinator()) {
      activate(why);
    }
  }

  /**
   * In the background, copies from the active coordinator the components and artifacts of the builds
   * this standby holds but whose objects it lacks: those stored before it joined, never announced to it.
   */
  private void catchUpOnArtifacts() {
    String activeId = activeCoordinator();
    String source = coordinatorUrls == null ? null : coordinatorUrls.get(activeId);
    if (source == null) {
      return;
    }
    vertx.executeBlocking(() -> {
      Set<String> wanted = new HashSet<>();
      for (BuildRecord build : sqlite.list(BuildFilter.newest(CATCH_UP_BUILDS))) {
        wanted.addAll(build.components().values());
        build.artifacts().forEach(artifact -> wanted.add(artifact.sha256()));
      }
      wanted.removeIf(artifacts::exists);
      int copied = replication.copyMissing(wanted, source);
      if (copied > 0) {
        System.out.println("bootfarm coordinator " + nodeId + " copied " + copied + " of " + wanted.size()
            + " missing artifacts from the active coordinator " + activeId + " at " + source);
      }
      return copied;
    }, false);
  }

  /** The active coordinator is the oldest live coordinator member: every member computes the same one. */
  private boolean isOldestCoordinator() {
    if (membership == null || map == null) { // started alone (no shared state): always active
      return true;
    }
    List<ClusterMember> coordinators = membership.coordinators();
    return !coordinators.isEmpty() && coordinators.get(0).local();
  }

  private String activeCoordinator() {
    return membership == null ? nodeId : membership.coordinators().stream().findFirst()
        .map(ClusterMember::nodeId).orElse("(none)");
  }

  /**
   * Becomes the active coordinator: copies the replicated builds into the own store (a standby stops
   * following first), gives every running build a fresh lease so its worker can keep reporting, then
   * takes the API and report addresses and starts placing and reconciling.
   */
  private Future<Void> activate(String why) {
    activating = true;
    long began = System.nanoTime();
    return vertx.executeBlocking(() -> {
      int copied = 0;
      if (replica != null) {
        copied = replica.stopAndCopyAll();
      } else if (map != null) {
        try (BuildReplica once = new BuildReplica(map, sqlite)) {
          copied = once.stopAndCopyAll();
        }
      }
      int extended = reconciler.afterRestart(clock.instant(), settings.lease().duration().plus(REJOIN_GRACE)).size();
      // the nightly runs and pairs the previous active coordinator recorded: a scheduled instant it ran is not run again
      nightlyStore.copyFromMap();
      return new int[] {copied, extended};
    }, false).compose(counts -> {
      api = new EventBusApi(vertx, coordinator, new FarmInfo(VERSION, artifactsUrl));
      nightlyApi = new NightlyBusApi(vertx, nightly);
      MessageConsumer<Object> reports = vertx.eventBus().consumer(Addresses.REPORT, this::report);
      consumers.add(reports);
      return Future.all(api.register(), nightlyApi.register(), reports.completion(), replication.serveFetches())
          .map(counts);
    }).map(counts -> {
      active = true;
      activating = false;
      nightly.start(NIGHTLY_TICK);
      timers.add(vertx.setPeriodic(settings.assignEvery().toMillis(), id -> assign()));
      timers.add(vertx.setPeriodic(settings.lease().reconcileEvery().toMillis(),
          id -> vertx.executeBlocking(() -> publish(reconciler.reconcile(clock.instant())), false)));
      System.out.println("bootfarm coordinator " + nodeId + " is now active (" + why + "): " + counts[0]
          + " builds copied from the cluster map, " + counts[1] + " running builds given a fresh lease, in "
          + (System.nanoTime() - began) / 1_000_000 + " ms; serving the API and placing builds");
      return (Void) null;
    }).onFailure(e -> {
      activating = false;
      System.err.println("bootfarm coordinator " + nodeId + " could not become active (" + why + "): " + e);
    });
  }

  /** The HTTP server's calls: answered here when active, forwarded to the active coordinator otherwise. */
  private final class ActiveOrForwarded implements FarmApi {
    private final FarmApi forwarding;

    ActiveOrForwarded(FarmApi forwarding) {
      this.forwarding = forwarding;
    }

    private FarmApi target() {
      return active ? coordinator : forwarding;
    }

    @Override
    public String submit(SubmitRequest request) throws ApiException {
      if (!active) {
        // components uploaded to this standby: make sure the active one holds them before it checks
        for (String sha256 : request.components().values()) {
          if (sha256 != null && ArtifactStore.isValidId(sha256) && artifacts.exists(sha256)) {
            try {
              replication.copyToActive(sha256, FORWARD_TIMEOUT);
            } catch (IOException e) {
              // the active coordinator's own check then names the missing component
            }
          }
        }
      }
      return target().submit(request);
    }

    @Override
    public BuildView get(String id) throws ApiException {
      return target().get(id);
    }

    @Override
    public List<BuildView> list(BuildQuery query) throws ApiException {
      return target().list(query);
    }

    @Override
    public BuildView cancel(String id) throws ApiException {
      return target().cancel(id);
    }

    @Override
    public BuildView pin(String id, PinRequest request) throws ApiException {
      return target().pin(id, request);
    }

    @Override
    public BuildView unpin(String id) throws ApiException {
      return target().unpin(id);
    }

    @Override
    public List<RepoInfo> repos() throws ApiException {
      return target().repos();
    }

    @Override
    public Collection<WorkerInfo> workers() throws ApiException {
      return target().workers();
    }
  }

  /** The nightly HTTP calls: answered here when active, forwarded to the active coordinator otherwise. */
  private final class ActiveOrForwardedNightly implements NightlyApi {
    private final NightlyApi forwarding;

    ActiveOrForwardedNightly(NightlyApi forwarding) {
      this.forwarding = forwarding;
    }

    private NightlyApi target() {
      return active ? nightly : forwarding;
    }

    @Override
    public NightlyReport latest() throws ApiException {
      return target().latest();
    }

    @Override
    public NightlyReport get(String id) throws ApiException {
      return target().get(id);
    }

    @Override
    public List<NightlyReport> list(int limit) throws ApiException {
      return target().list(limit);
    }

    @Override
    public NightlyReport runNow() throws ApiException {
      return target().runNow();
    }

    @Override
    public ReproducibilityPair verify(String buildId) throws ApiException {
      return target().verify(buildId);
    }

    @Override
    public ReproducibilityPair pair(String id) throws ApiException {
      return target().pair(id);
    }
  }

  /** Places queued builds and sends each to its worker's inbox with the definition's files. */
  private void assign() {
    vertx.executeBlocking(() -> {
      for (BuildCoordinator.Assignment placed : coordinator.assign(16)) {
        RepoDefinition definition = catalog.find(placed.build().repo()).flatMap(RepoCatalog.Entry::definition)
            .orElseThrow();
        Assignment assignment = new Assignment(placed.build().id(), placed.build().repo(), placed.build().target(),
            placed.build().components(), DefinitionFiles.read(definition.directory()),
            RepoDefinitionLoader.digest(definition.directory()), artifactsUrl, placed.build().attempts(), null, null,
            definition.unsignedAllowed() ? Boolean.TRUE : null);
        assignment = forPairSide(placed, assignment);
        vertx.eventBus().send(Addresses.workerInbox(placed.workerId()), new JsonObject(WireJson.write(assignment)));
      }
      return null;
    }, false);
  }

  /**
   * The assignment as the pair side of {@code placed} wants it: side B of a reproducibility pair
   * ({@code placed.pairSide().isSideB()}: a nightly pair's second build, or a {@code verify} rebuild) is
   * built under a varied environment, which the protocol's {@code Assignment} carries as its
   * {@code variation}; both sides are built from scratch ({@code fromScratch}: no stage of a worker's
   * stage cache is used or filled, ADRs 0021 and 0025); every other build goes as it is.
   */
  static Assignment forPairSide(BuildCoordinator.Assignment placed, Assignment assignment) {
    if (placed.pairSide() == null) {
      return assignment;
    }
    return new Assignment(assignment.buildId(), assignment.repo(), assignment.target(), assignment.components(),
        assignment.definitionFiles(), assignment.definitionDigest(), assignment.artifactsUrl(), assignment.attempt(),
        placed.pairSide().isSideB() ? BuildVariation.varied() : null, Boolean.TRUE, assignment.allowUnsigned());
  }

  /**
   * What the operator's {@code --allow-unsigned} did, one line each: the repos allowed that install packages
   * without a signature check (and what), those allowed that are signed throughout, and names that match no
   * definition of the catalog (a misspelt name allows nothing).
   */
  static List<String> describeUnsigned(RepoCatalog catalog, Set<String> allowed) {
    List<String> lines = new ArrayList<>();
    for (String name : new java.util.TreeSet<>(allowed)) {
      java.util.Optional<RepoCatalog.Entry> entry = catalog.find(name);
      if (entry.isEmpty()) {
        lines.add("--allow-unsigned " + name + " names no repo definition of this farm; it allows nothing");
      } else if (entry.get().definition().isPresent()) {
        List<String> unsigned = entry.get().definition().get().unsigned();
        lines.add(unsigned.isEmpty() ? "repo " + name + " is allowed unsigned but is signed throughout"
            : "repo " + name + " is built UNSIGNED (allowed by --allow-unsigned): " + String.join("; ", unsigned));
      }
    }
    return lines;
  }

  /** A worker's heartbeat: it is live (every coordinator), and, on the active one, its builds' leases go on. */
  private void heartbeat(Object body) {
    WorkerInfo info;
    try {
      info = WireJson.read(String.valueOf(body), WorkerInfo.class);
    } catch (WireJson.WireFormatException e) {
      return; // EventBusApi drops malformed heartbeats the same way
    }
    coordinator.workerSeen(info);
    metrics.workerSeen(info);
    if (active && !info.running().isEmpty()) {
      vertx.executeBlocking(() -> {
        for (String buildId : info.running()) {
          store.renewLease(buildId, info.id(), reconciler.leasePolicy().leaseUntil(clock.instant()));
        }
        return null;
      }, false);
    }
  }

  /**
   * A worker's {@link BuildReport}: recorded, or refused when that worker no longer holds that run of the
   * build; answered either way once the store has decided, so the worker stops sending it. A store
   * failure answers with an error, and the worker sends the report again later. A recorded report is
   * published as the build's new state.
   */
  private void report(Message<Object> message) {
    BuildReport report;
    try {
      report = WireJson.read(String.valueOf(message.body()), BuildReport.class);
    } catch (WireJson.WireFormatException e) {
      message.fail(400, "malformed build report: " + e.getMessage());
      return;
    }
    vertx.executeBlocking(() -> {
      LeaseAction action = report.state() == BuildState.SUCCEEDED
          ? reconciler.onSuccess(report.buildId(), report.workerId(), report.attempt(),
              BuildOutcome.succeeded(report.artifacts(), report.log(), report.packageCache()), clock.instant())
          : reconciler.onFailure(report.buildId(), report.workerId(), report.attempt(), BuildOutcome.failed(
              report.error(), report.deterministic() ? ErrorKind.DETERMINISTIC : ErrorKind.TRANSIENT,
              report.artifacts(), report.log()), clock.instant());
      changed(action);
      return action.decision() == LeaseAction.Decision.REFUSED ? action.reason() : null;
    }, false).onComplete(done -> {
      if (done.failed()) {
        message.fail(500, "build report of " + report.buildId() + " not recorded: " + done.cause().getMessage());
      } else if (done.result() != null) {
        System.err.println("bootfarm coordinator: refused a report: " + done.result());
        message.reply(new JsonObject().put("recorded", false).put("reason", done.result()));
      } else {
        message.reply(new JsonObject().put("recorded", true));
      }
    });
  }

  @Override
  public void close() throws Exception {
    active = false;
    for (long timer : timers) {
      vertx.cancelTimer(timer);
    }
    nightly.close();
    if (api != null) {
      api.unregister();
    }
    if (nightlyApi != null) {
      nightlyApi.unregister();
    }
    consumers.forEach(MessageConsumer::unregister);
    if (replica != null) {
      replica.close();
    }
    replication.close();
    if (coordinatorUrls != null) {
      try {
        coordinatorUrls.remove(nodeId);
      } catch (RuntimeException e) {
        // the cluster is going away with this process
      }
    }
    http.close().await();
    nightlyStore.close();
    store.close();
    artifacts.close();
    if (ownsNodeMetrics) {
      nodeMetrics.close();
    }
  }
}
