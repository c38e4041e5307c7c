package org.bootfarm.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.NoDataMemberInClusterException;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.bootfarm.cluster.identity.ClusterRefusals;
import org.bootfarm.cluster.identity.MemberClaim;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.cluster.identity.SessionKeyClaim;
import org.bootfarm.cluster.identity.SignedRecords;

/**
 * One process's place in the farm's cluster: a clustered Vert.x on Hazelcast, started from {@link
 * ClusterSettings} and closed by a JVM shutdown hook (Vert.x 5 installs none), with the {@link
 * ClusterMembership} view of who else is live. Coordinators are data members, workers lite members.
 * With a farm certificate ({@link ClusterSettings#credential()}, ADR 0031) the event bus runs over
 * mutual TLS with the farm CA as its only root, the node claims its role with a signed member
 * attribute, authenticates every message it sends ({@link BusAuthentication}), and counts the Hazelcast
 * members it ignores.
 */
public final class ClusterNode implements AutoCloseable {
  /** How long closing may take before the process goes on without it. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  /** The member attribute under which every node publishes its {@link NodeRole}. */
  static final String ROLE_ATTRIBUTE = "bootfarm.role";
  /** Longer than Hazelcast's own join and Vert.x's map set-up take even on a busy 2-core machine. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** How often a member looks for another cluster of the same name to merge with (a healed partition). */
  static final Duration MERGE_EVERY = Duration.ofSeconds(5);

  private final ClusterSettings settings;
  private final Vertx vertx;
  private final HazelcastClusterManager clusterManager;
  private final ClusterMembership membership;
  /** Closes Vert.x on JVM shutdown; null once the owner closes the node itself ({@link #keepOpenOnShutdown}). */
  private Thread shutdownHook;
  private final NodeMetrics metrics;
  private final ClusterRefusals refusals;
  private final MessageSignatures signatures;
  /** Whether this node made {@link #metrics} and closes it (a worker's outlives its nodes). */
  private final boolean ownsMetrics;

  private ClusterNode(ClusterSettings settings, Vertx vertx, HazelcastClusterManager clusterManager,
      NodeMetrics metrics, boolean ownsMetrics) {
    this.settings = settings;
    this.vertx = vertx;
    this.clusterManager = clusterManager;
    this.metrics = metrics;
    this.ownsMetrics = ownsMetrics;
    this.refusals = new ClusterRefusals(metrics.registry());
    this.membership = new ClusterMembership(vertx, clusterManager.getHazelcastInstance().getCluster(),
        settings.clusterName(), settings.secured() ? settings.credential().trust() : null);
    this.signatures = BusAuthentication.start(settings, vertx.eventBus(),
        clusterManager.getHazelcastInstance().getCluster(), Clock.systemUTC());
    this.shutdownHook = new Thread(this::closeVertx, "bootfarm-cluster-shutdown");
  }

  /**
   * Starts a clustered Vert.x and joins the cluster, blocking until it has joined (call it from
   * {@code main}, never from an event loop). A worker or client finding no coordinator fails at once, see
   * {@link #startWhenCoordinatorIsUp} to wait for one.
   *
   * @throws ClusterStartException saying why, e.g. the port is taken or a worker found no coordinator
   */
  public static ClusterNode start(ClusterSettings settings) throws ClusterStartException {
    return start(settings, null);
  }

  /**
   * {@link #start(ClusterSettings)} with this node's Vert.x reporting its event-bus and HTTP meters into
   * {@code metrics} (null: a registry of the node's own, closed with it).
   */
  public static ClusterNode start(ClusterSettings settings, NodeMetrics metrics) throws ClusterStartException {
    boolean ownsMetrics = metrics == null;
    NodeMetrics meters = ownsMetrics ? NodeMetrics.create(settings.role().name()) : metrics;
    try {
      return start(settings, meters, ownsMetrics);
    } catch (ClusterStartException | RuntimeException e) {
      if (ownsMetrics) {
        meters.close();
      }
      throw e;
    }
  }

  private static ClusterNode start(ClusterSettings settings, NodeMetrics metrics, boolean ownsMetrics)
      throws ClusterStartException {
    String host = resolve(settings.clusterHost());
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(hazelcastConfig(settings, host));
    EventBusOptions eventBus = new EventBusOptions()
        .setHost(host)
        .setPort(settings.eventBusPort())
        .setClusterPublicHost(host);
    if (settings.secured()) {
      // mutual TLS, the farm CA the only root: a process without a farm certificate can neither send to
      // nor receive from this node (Vert.x does not check host names on the event bus; members are named)
      eventBus.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
          .setKeyCertOptions(settings.credential().keyCertOptions())
          .setTrustOptions(settings.credential().trustOptions());
    }
    VertxOptions options = new VertxOptions()
        .setEventBusOptions(eventBus)
        .setFileSystemOptions(new FileSystemOptions()
            .setFileCacheDir(settings.dataDir().resolve("vertx-cache").toString()))
        .setMetricsOptions(metrics.vertxOptions());
    Vertx vertx;
    try {
      vertx = Vertx.builder().with(options).withMetrics(metrics.vertxFactory()).withClusterManager(clusterManager)
          .buildClustered()
          .await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new ClusterStartException("joining cluster '" + settings.clusterName() + "' at " + host + ":"
          + settings.clusterPort() + " took longer than " + START_TIMEOUT.toSeconds() + " s; check --join "
          + settings.join(), e);
    } catch (RuntimeException e) {
      boolean noCoordinator = causedBy(e, NoDataMemberInClusterException.class);
      throw new ClusterStartException(startFailure(settings, host, e, noCoordinator), e, noCoordinator);
    }
    ClusterNode node = new ClusterNode(settings, vertx, clusterManager, metrics, ownsMetrics);
    Runtime.getRuntime().addShutdownHook(node.shutdownHook);
    if (settings.secured()) {
      node.countUnverifiedMembers();
    }
    return node;
  }

  /**
   * Starts like {@link #start}, but a worker or client that finds no coordinator tries again every {@code
   * retryEvery} until {@code patience} has passed, telling {@code waiting} each time (a failed try
   * leaves nothing running). Any other failure ends the wait at once.
   *
   * @throws ClusterStartException the last failure, when patience ran out or the failure was not a
   *     missing coordinator
   */
  public static ClusterNode startWhenCoordinatorIsUp(ClusterSettings settings, Duration patience, Duration retryEvery,
      Consumer<String> waiting) throws ClusterStartException, InterruptedException {
    return startWhenCoordinatorIsUp(settings, null, patience, retryEvery, waiting);
  }

  /** {@link #startWhenCoordinatorIsUp(ClusterSettings, Duration, Duration, Consumer)} reporting into {@code metrics}. */
  public static ClusterNode startWhenCoordinatorIsUp(ClusterSettings settings, NodeMetrics metrics, Duration patience,
      Duration retryEvery, Consumer<String> waiting) throws ClusterStartException, InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        return start(settings, metrics);
      } catch (ClusterStartException e) {
        if (!e.noCoordinator() || System.nanoTime() + retryEvery.toNanos() > deadline) {
          throw e;
        }
        waiting.accept(e.getMessage() + "; trying again in " + retryEvery.toMillis() + " ms");
        Thread.sleep(retryEvery.toMillis());
      }
    }
  }

  /**
   * The Hazelcast configuration for these settings: Vert.x's own (its map settings), then TCP-IP
   * join with the explicit members (or, with Kubernetes discovery, Hazelcast's Kubernetes join in
   * DNS-lookup mode on the headless service, TCP-IP off), multicast, auto-detection and phone-home
   * off, bound to the cluster host only, and the failure-detection times.
   */
  static Config hazelcastConfig(ClusterSettings settings, String host) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(settings.clusterName());
    config.setLiteMember(settings.role().liteMember());
    config.getMemberAttributeConfig().setAttribute(ROLE_ATTRIBUTE, settings.role().name());
    if (settings.secured()) {
      config.getMemberAttributeConfig().setAttribute(MemberClaim.ATTRIBUTE, MemberClaim.make(settings.credential(),
          settings.clusterName(), new JoinMember(host, settings.clusterPort()).hazelcastMember(), settings.role()));
      config.getMemberAttributeConfig().setAttribute(SessionKeyClaim.ATTRIBUTE,
          BusAuthentication.claim(settings, new JoinMember(host, settings.clusterPort()).hazelcastMember()));
    }
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    // a joiner is let in after 1 s, not after Hazelcast's 5 s spent waiting for others to join with it
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.setProperty("hazelcast.heartbeat.interval.seconds",
        Long.toString(settings.heartbeatInterval().toSeconds()));
    config.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(settings.maxNoHeartbeat().toSeconds()));
    // a healed partition joins its two halves again within seconds, not Hazelcast's 300 s: until then the active
    // coordinator cannot reach the workers on the other side, and builds it places there are lost (issue 15)
    config.setProperty("hazelcast.merge.first.run.delay.seconds", Long.toString(MERGE_EVERY.toSeconds()));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", Long.toString(MERGE_EVERY.toSeconds()));
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.clusterPort()).setPortAutoIncrement(false);
    network.setPublicAddress(new JoinMember(host, settings.clusterPort()).hazelcastMember());
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(host));
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (settings.kubernetesDiscovery()) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", settings.kubernetesServiceDns())
          .setProperty("service-port", Integer.toString(settings.clusterPort()));
      return config;
    }
    List<String> members = new ArrayList<>();
    for (JoinMember member : settings.join()) {
      members.add(member.hazelcastMember());
    }
    if (members.isEmpty()) {
      members.add(new JoinMember(host, settings.clusterPort()).hazelcastMember());
    }
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    return config;
  }

  /** The clustered Vert.x of this process. */
  public Vertx vertx() {
    return vertx;
  }

  /** This process's node id, the same in Vert.x and in {@link ClusterMembership}. */
  public String nodeId() {
    return clusterManager.getNodeId();
  }

  /**
   * The Hazelcast member under this node's Vert.x: coordinators keep their replicated live state in
   * its maps (workers, lite members, hold none of it).
   */
  public HazelcastInstance hazelcast() {
    return clusterManager.getHazelcastInstance();
  }

  /** The meters this node's Vert.x reports into, with the JVM's; the coordinator adds the farm's. */
  public NodeMetrics metrics() {
    return metrics;
  }

  /** Counts and logs what this node refused from the cluster for want of a farm certificate. */
  public ClusterRefusals refusals() {
    return refusals;
  }

  /** Who sent a message this node received, by its signature (ADR 0031); unsecured in one-JVM test clusters. */
  public MessageSignatures signatures() {
    return signatures;
  }

  /** Seals what a coordinator puts into the shared maps, and opens only what a coordinator sealed. */
  public SignedRecords signedRecords() {
    return settings.secured() ? new SignedRecords(settings.credential(), refusals) : SignedRecords.UNSECURED;
  }

  /** Who may send what to this node's consumers, by the senders' certificates. */
  public SenderCheck senderCheck() {
    return settings.secured() ? new SenderCheck(signatures, refusals) : SenderCheck.UNSECURED;
  }

  /** Requests only a coordinator may answer, sent from this node: other members' answers are refused (ADR 0064). */
  public CoordinatorRequests coordinatorRequests() {
    return settings.secured() ? new CoordinatorRequests(vertx, senderCheck(), signatures::nextNonce)
        : CoordinatorRequests.unsecured(vertx);
  }

  /**
   * Logs and counts every Hazelcast member that joins (or is there) without a claim a farm
   * certificate signed; the membership leaves such members out of everything the farm does.
   */
  private void countUnverifiedMembers() {
    com.hazelcast.cluster.Cluster cluster = clusterManager.getHazelcastInstance().getCluster();
    java.util.function.Consumer<com.hazelcast.cluster.Member> check = m -> {
      if (!membership.counts(m)) {
        refusals.refuse(ClusterRefusals.Reason.UNVERIFIED_MEMBER, "Hazelcast member " + m.getAddress() + " ("
            + m.getUuid() + ") joined cluster '" + settings.clusterName() + "' without a farm certificate's claim for"
            + " its role and address; the farm ignores it: it gets no builds, no say and no event-bus traffic");
      }
    };
    cluster.addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
      @Override
      public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
        check.accept(event.getMember());
      }

      @Override
      public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {}
    });
    cluster.getMembers().forEach(check);
  }

  /** The settings this node was started with. */
  public ClusterSettings settings() {
    return settings;
  }

  /** The live members and their comings and goings. */
  public ClusterMembership membership() {
    return membership;
  }

  /**
   * Removes the shutdown hook that closes this node when the JVM stops: the caller's own hook calls
   * {@link #close} when it is done (a worker first lets its running builds finish, then leaves).
   */
  public synchronized void keepOpenOnShutdown() {
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
        shutdownHook = null;
      } catch (IllegalStateException shuttingDown) {
        // the JVM is stopping already and the hook closes the node
      }
    }
  }

  /** Leaves the cluster and closes Vert.x, waiting at most {@link #CLOSE_TIMEOUT}. */
  @Override
  public void close() {
    Thread hook;
    synchronized (this) {
      hook = shutdownHook;
      shutdownHook = null;
    }
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        return; // the hook is closing Vert.x already
      }
    }
    closeVertx();
  }

  private void closeVertx() {
    try {
      vertx.close().await(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | RuntimeException e) {
      // this runs in the JVM's shutdown hook too: bootfarm's System.Logger writes there all the same
      // (logging.DaemonLoggerFinder; java.util.logging would have closed its handlers already)
      System.getLogger(ClusterNode.class.getName()).log(System.Logger.Level.WARNING,
          "bootfarm: closing the cluster node did not finish cleanly: " + e);
    }
    if (ownsMetrics) {
      metrics.close();
    }
  }

  private static String resolve(String clusterHost) throws ClusterStartException {
    try {
      return InetAddress.getByName(clusterHost).getHostAddress();
    } catch (UnknownHostException e) {
      throw new ClusterStartException("--cluster-host '" + clusterHost
          + "' does not resolve; give an IP address of this machine", e);
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String startFailure(ClusterSettings settings, String host, Throwable e, boolean noCoordinator) {
    if (noCoordinator) {
      return settings.role().name().toLowerCase(java.util.Locale.ROOT) + " found no coordinator in cluster '"
          + settings.clusterName() + "' " + (settings.kubernetesDiscovery()
              ? "behind the Kubernetes service " + settings.kubernetesServiceDns()
              : "at --join " + (settings.join().isEmpty() ? "(none given)" : settings.join()))
          + ": start a coordinator first or fix --join (workers and clients are Hazelcast lite members and"
          + " cannot form a cluster on their own)";
    }
    String address = new JoinMember(host, settings.clusterPort()).hazelcastMember();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "cannot listen on --cluster-host/--cluster-port " + address + ": the port is in use or the address"
            + " is not one of this machine's; pick another port or stop the process holding it (" + t.getMessage()
            + ")";
      }
    }
    return "node " + address + " could not join cluster '" + settings.clusterName() + "' (join " + settings.join()
        + "): " + e;
  }
}
