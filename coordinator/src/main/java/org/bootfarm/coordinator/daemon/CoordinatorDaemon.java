package org.bootfarm.coordinator.daemon;

import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.cluster.ClusterMember;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.cluster.NodeMetrics;
import org.bootfarm.cluster.PrivateDirectory;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.PinnedDefinitions;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.access.FarmAccess;
import org.bootfarm.coordinator.assignment.AssignmentDispatcher;
import org.bootfarm.coordinator.assignment.AssignmentFactory;
import org.bootfarm.coordinator.assignment.WorkerInbox;
import org.bootfarm.coordinator.bus.BuildStatePublisher;
import org.bootfarm.coordinator.bus.EventBusApi;
import org.bootfarm.coordinator.bus.ForwardingFarmApi;
import org.bootfarm.coordinator.bus.ForwardingNightlyApi;
import org.bootfarm.coordinator.bus.NightlyBusApi;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.failover.Election;
import org.bootfarm.coordinator.failover.ActiveOrForwardedApi;
import org.bootfarm.coordinator.failover.ActiveOrForwardedNightlyApi;
import org.bootfarm.coordinator.failover.StandbyFollower;
import org.bootfarm.coordinator.failover.Takeover;
import org.bootfarm.coordinator.failover.TermElection;
import org.bootfarm.coordinator.http.ApiHttpServer;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.intake.DepartedWorkers;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.cluster.identity.SignedRecords;
import org.bootfarm.coordinator.http.HttpsIdentity;
import org.bootfarm.coordinator.intake.HeartbeatConsumer;
import org.bootfarm.coordinator.intake.ReportConsumer;
import org.bootfarm.coordinator.metrics.FarmMetrics;
import org.bootfarm.coordinator.nightly.NightlyComponents;
import org.bootfarm.coordinator.nightly.NightlyRuns;
import org.bootfarm.coordinator.nightly.NightlyStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.coordinator.replication.CoordinatorUrls;
import org.bootfarm.coordinator.replication.StandbyConfirmations;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.coordinator.retention.StoreCollection;
import org.bootfarm.coordinator.verdict.ReproducibilityJudge;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.LoadOptions;

/**
 * The coordinator process, wired: opens the build store and artifact store in the data dir, reads the
 * repo catalog, serves the event-bus and HTTP APIs, and connects the parts that decide. The build's
 * life is decided by {@link BuildCoordinator}; which coordinator is active by an {@link Election}
 * ({@link CoordinatorStores}) and becoming it by {@link Takeover}; a standby follows through {@link
 * StandbyFollower} and forwards HTTP through {@link ActiveOrForwardedApi}; heartbeats come in through the
 * one {@link HeartbeatConsumer}, reports through {@link ReportConsumer}, workers leaving through {@link
 * DepartedWorkers}; builds go out through {@link AssignmentDispatcher}. Every state change is published on
 * the build's event address and counted ({@link BuildStateFanout}).
 *
 * <p>Several coordinators may run in one cluster on a shared PostgreSQL store (ADR 0039): the holder of
 * its term lock is active; the others are standbys that read the same store, copy its artifacts, keep their
 * worker table from the heartbeats, and answer HTTP by forwarding to it. When the lock frees, one takes over.
 */
public final class CoordinatorDaemon implements AutoCloseable {
  /** The version {@link Addresses#INFO} reports: the jar's, or {@code dev} when run from classes. */
  static final String VERSION = Objects.requireNonNullElse(
      CoordinatorDaemon.class.getPackage().getImplementationVersion(), "dev");

  private static final System.Logger LOG = System.getLogger(CoordinatorDaemon.class.getName());
  /** How often the active coordinator checks the nightly schedule and judges the pairs whose builds ended. */
  static final Duration NIGHTLY_TICK = Duration.ofSeconds(1);
  /** How long a standby waits for the active coordinator to answer a forwarded call. */
  static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final CoordinatorSettings settings;
  private final String nodeId;
  private final Clock clock = Clock.systemUTC();
  private final CoordinatorStores stores;
  private final BuildStore store;
  private final ArtifactStore artifacts;
  private final ArtifactIntake intake;
  private final RepoCatalog catalog;
  private final NightlyStore nightlyStore;
  private final NodeMetrics nodeMetrics;
  /** Whether {@link #nodeMetrics} was made here (no cluster node gave one) and is closed with the daemon. */
  private final boolean ownsNodeMetrics;
  private final FarmMetrics metrics;
  private final FarmAccess access;
  private final WorkerInbox inbox;
  private final BuildCoordinator coordinator;
  private final NightlyRuns nightly;
  private final HeartbeatConsumer heartbeats;
  private final HttpServer http;
  private final String artifactsUrl;
  private final ArtifactReplication replication;
  /** Where this coordinator published its URL, and the only place it reads the others' (ADR 0064). */
  private final CoordinatorUrls coordinatorUrls;
  /** This coordinator's requests to the active one or the standbys, answered only by a coordinator (ADR 0064). */
  private final CoordinatorRequests requests;
  private final StandbyFollower standby;
  private final Takeover takeover;
  private final Election election;
  private final List<Long> timers = new ArrayList<>();
  // the active coordinator's addresses, registered by serveAsActive()
  private final ReportConsumer reports;
  private final EventBusApi api;
  private final NightlyBusApi nightlyApi;

  private CoordinatorDaemon(Vertx vertx, CoordinatorSettings settings, ClusterMembership membership,
      HazelcastInstance hazelcast, NodeMetrics nodeMetrics, SenderCheck senders, SignedRecords records,
      CoordinatorRequests requests, HttpsIdentity https, javax.net.ssl.SSLContext peerTrust) throws IOException {
    this.vertx = vertx;
    this.settings = settings;
    this.requests = requests;
    this.ownsNodeMetrics = nodeMetrics == null;
    this.nodeMetrics = ownsNodeMetrics ? NodeMetrics.create("coordinator") : nodeMetrics;
    this.nodeId = membership == null ? "local" : membership.members().stream().filter(ClusterMember::local)
        .map(ClusterMember::nodeId).findFirst().orElse("local");
    PrivateDirectory.ensure(settings.dataDir(), "the coordinator's data directory");
    stores = CoordinatorStores.open(settings.store(), settings.dataDir(), clock);
    store = stores.sql();
    intake = ArtifactIntake.open(vertx, settings.dataDir().resolve("artifacts"), settings.uploads(),
        this.nodeMetrics.registry());
    artifacts = intake.store();
    catalog = RepoCatalog.read(settings.reposDir(), new LoadOptions(settings.keysDir(), false,
        settings.allowUnsigned()));
    // the operator's own words, on standard output: an embedded farm's user reads them there
    UnsignedRepoNotice.lines(catalog, settings.allowUnsigned())
        .forEach(line -> System.out.println("bootfarm coordinator: " + line));
    nightlyStore = stores.nightly();
    metrics = new FarmMetrics(this.nodeMetrics.registry(), new FarmMetrics.Sources(
        catalog.entries().stream().map(RepoCatalog.Entry::name).toList(), stores.sql(), store,
        this::workers, artifacts, nightlyStore, settings.nightly(), this::active, settings.lease().duration(), clock));
    access = FarmAccess.open(vertx, settings.tokensFile(), settings.dataDir(), settings.protectMetrics(),
        this.nodeMetrics.registry(), senders);
    inbox = new WorkerInbox(vertx);
    BuildStateFanout fanout = new BuildStateFanout(new BuildStatePublisher(vertx), metrics, inbox, this::replication);
    coordinator = new BuildCoordinator(store, artifacts, catalog, RendezvousPlacement.stealingAfter(settings
        .stealAfter()), clock, settings.lease(), settings.retry(), fanout, settings.applianceRepo());
    nightly = new NightlyRuns(coordinator, store, catalog, nightlyStore,
        new ReproducibilityJudge(artifacts, ReproducibilityJudge.Options.defaults()), new RecordedBuildInfos(artifacts),
        settings.nightly(), clock, line -> LOG.log(System.Logger.Level.INFO, "bootfarm coordinator: " + line),
        NightlyComponents.store(settings.nightlyComponents(), artifacts));
    nightly.listen(metrics);
    heartbeats = new HeartbeatConsumer(vertx, coordinator, metrics::workerSeen, this::active, senders,
        node -> membership == null || membership.isLive(node));
    reports = new ReportConsumer(vertx, coordinator, senders);
    heartbeats.register();
    RetentionPolicy retention = RetentionPolicy.logging(store, artifacts, settings.retention(), LOG);
    ProvenanceSigning signing = ProvenanceSigning.open(settings);
    ArtifactReplication[] announcer = new ArtifactReplication[1];
    ForwardingFarmApi forwarding = new ForwardingFarmApi(requests, FORWARD_TIMEOUT);
    http = new ApiHttpServer(vertx, new ActiveOrForwardedApi(this::active, coordinator, forwarding, artifacts,
        this::replication, FORWARD_TIMEOUT, stores.shared()),
        intake.endpoint(stored -> {
          if (announcer[0] != null) {
            announcer[0].announce(stored);
          }
        }), new ActiveOrForwardedNightlyApi(this::active, nightly, new ForwardingNightlyApi(forwarding)))
        .withAccess(access.tokens(), access.refusals(), access.protectMetrics())
        .withCollection(StoreCollection.of(retention)).withKeys(signing::keys)
        .withMetrics(() -> {
          metrics.refresh();
          return this.nodeMetrics.scrape();
        })
        .listen(settings.httpHost(), settings.httpPort(), https).await();
    artifactsUrl = (https == null ? "http://" : "https://") + settings.httpHost() + ":" + http.actualPort();
    signing.start(coordinator, nightly, store, artifacts, VERSION, this::replication);
    coordinatorUrls = CoordinatorUrls.publish(hazelcast == null ? new ConcurrentHashMap<>()
        : hazelcast.getMap(CoordinatorUrls.MAP), records, nodeId, artifactsUrl);
    replication = new ArtifactReplication(vertx, artifacts, coordinatorUrls, senders, requests,
        access.coordinatorsToken(), peerTrust);
    replication.start().await();
    announcer[0] = replication;
    fanout.keepInputsWith(StandbyConfirmations.forStore(stores.shared(), replication, membership,
        this.nodeMetrics.registry())); // a submission answers once a standby holds its inputs (ADR 0042)
    api = new EventBusApi(vertx, coordinator, new FarmInfo(VERSION, artifactsUrl), senders)
        .withCollection(StoreCollection.of(retention));
    nightlyApi = new NightlyBusApi(vertx, nightly, senders);
    election = stores.election(vertx, membership, nodeId, clock, this::termLost);
    standby = new StandbyFollower(vertx, nodeId, stores.sql(), artifacts, replication);
    takeover = new Takeover(vertx, nodeId, election, coordinator,
        Takeover.Duties.of(this::serveAsActive, this::startActiveTimers));
    if (election.thisOneLeads()) {
      takeover.activate(stores.shared() ? "it holds the shared store's term" : "the oldest coordinator in the cluster")
          .await();
    } else {
      standby.follow(election.leader());
    }
    if (membership != null) {
      new DepartedWorkers(vertx, coordinator, metrics::workerLeft, this::active).watch(membership);
    }
    election.onLeaderMayHaveChanged(takeover::takeOverIfLeader); // alone without a shared store: never called
    // the active one may have left between the check above and the subscription
    vertx.runOnContext(v -> takeover.takeOverIfLeader("the active coordinator left while this one started"));
    timers.add(retention.schedule(vertx, settings.retention().collectEvery()));
    timers.add(CatalogReload.schedule(vertx, catalog));
  }

  /** Takes the active coordinator's addresses: the event-bus API, the nightly API, reports, artifact fetches. */
  private Future<?> serveAsActive() {
    return Future.all(api.register(), nightlyApi.register(), reports.register(), replication.serveFetches());
  }

  /** Starts the active coordinator's timers: nightly runs, placing queued builds, reconciling leases. */
  private void startActiveTimers() {
    nightly.start(NIGHTLY_TICK);
    timers.add(new AssignmentDispatcher(vertx, coordinator, new AssignmentFactory(catalog, artifactsUrl,
        new RecordedBuildInfos(artifacts), new PinnedDefinitions(artifacts)), inbox).start(settings.assignEvery()));
    timers.add(vertx.setPeriodic(settings.lease().reconcileEvery().toMillis(),
        id -> vertx.executeBlocking(coordinator::reconcileLeases, false)));
  }

  private ArtifactReplication replication() { return replication; }

  /** This coordinator's term of the shared store ended under it: it stops acting as the active one, and exits. */
  private void termLost() {
    takeover.stop();
    TermElection.exitProcess();
  }

  private Collection<WorkerInfo> workers() {
    return coordinator.workers();
  }

  /** Starts the coordinator on a clustered (or, for tests, local) Vert.x instance, alone: always active. */
  public static CoordinatorDaemon start(Vertx vertx, CoordinatorSettings settings, ClusterMembership membership)
      throws IOException {
    return start(vertx, settings, membership, null, null);
  }

  /**
   * Starts a coordinator that shares the cluster with others through {@code hazelcast} (on a shared store:
   * active if it holds the store's term, else a standby following the active one), without member certificates (one-JVM
   * tests), its farm meters in {@code nodeMetrics} (null: a registry of its own, without Vert.x's meters).
   */
  public static CoordinatorDaemon start(Vertx vertx, CoordinatorSettings settings, ClusterMembership membership,
      HazelcastInstance hazelcast, NodeMetrics nodeMetrics) throws IOException {
    if (hazelcast != null && membership == null) {
      throw new IllegalArgumentException("a coordinator sharing state through Hazelcast needs the cluster membership"
          + " to know which coordinator is active");
    }
    return new CoordinatorDaemon(vertx, settings, membership, hazelcast, nodeMetrics, SenderCheck.UNSECURED,
        SignedRecords.UNSECURED, CoordinatorRequests.unsecured(vertx), null, null);
  }

  /** {@link #start(ClusterNode, CoordinatorSettings, HttpsIdentity)} serving plain HTTP. */
  public static CoordinatorDaemon start(ClusterNode node, CoordinatorSettings settings) throws IOException {
    return start(node, settings, null);
  }

  /**
   * Starts the coordinator of a farm's cluster {@code node} (what the commands do), its API over HTTPS with
   * {@code https} (null: plain HTTP): it shares state with the node's other coordinators, reports into the
   * node's meters, takes reports and heartbeats only from the members their certificates say may send them,
   * and seals what it puts into the shared maps, adopting only what a coordinator sealed (ADR 0031); it copies
   * other coordinators' artifacts trusting its farm CA for HTTPS.
   */
  public static CoordinatorDaemon start(ClusterNode node, CoordinatorSettings settings, HttpsIdentity https)
      throws IOException {
    return new CoordinatorDaemon(node.vertx(), settings, node.membership(), node.hazelcast(), node.metrics(),
        node.senderCheck(), node.signedRecords(), node.coordinatorRequests(), https,
        ArtifactReplication.peerTrust(node.settings().credential()));
  }

  /** The HTTP port it listens on (useful with port 0). */
  public int httpPort() {
    return http.actualPort();
  }

  public String artifactsUrl() {
    return artifactsUrl;
  }

  /** The tokens, refusal counter and coordinators' token this coordinator checks callers with (the bridge too). */
  public FarmAccess access() {
    return access;
  }

  /**
   * How this coordinator sends a request only a coordinator may answer (the bridge's calls too): another member's
   * answer is refused and the request sent again (ADR 0064).
   */
  public CoordinatorRequests coordinatorRequests() {
    return requests;
  }

  /** Whether this coordinator is the active one now (a standby forwards and follows). */
  public boolean active() {
    return takeover != null && takeover.active();
  }

  @Override
  public void close() throws Exception {
    takeover.stop();
    for (long timer : timers) {
      vertx.cancelTimer(timer);
    }
    nightly.close();
    api.unregister();
    nightlyApi.unregister();
    heartbeats.unregister();
    reports.unregister();
    standby.close();
    replication.close();
    coordinatorUrls.withdraw();
    http.close().await();
    access.close();
    stores.close(election);
    intake.close();
    if (ownsNodeMetrics) {
      nodeMetrics.close();
    }
  }
}
