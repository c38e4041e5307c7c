package org.bootfarm.cli;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.JoinMember;
import org.bootfarm.cluster.MetricsHttpServer;
import org.bootfarm.cluster.NodeMetrics;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.coordinator.provenance.SigningSettings;
import org.bootfarm.coordinator.bridge.BridgeServer;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.http.HttpsIdentity;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.worker.agent.WorkerAgent;
import org.bootfarm.worker.agent.WorkerIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * The farm's long-running processes: {@code bootfarm coordinator}, {@code bootfarm worker} and
 * {@code bootfarm standalone} (a coordinator and one worker in one JVM, a cluster of one on
 * 127.0.0.1). Each runs until it is stopped: SIGTERM leaves the cluster cleanly, a worker after
 * draining (its running builds finish and report first).
 */
final class FarmCommands {
  /** Daemon messages of the farm commands; the ready lines stay on standard output, where tools wait for them. */
  private static final System.Logger LOG = System.getLogger(FarmCommands.class.getName());

  private FarmCommands() {}

  /** The coordinator's own flags. */
  static final class CoordinatorOptions {
    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "HTTP API address (default: ${DEFAULT-VALUE})")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP API port (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--tls-cert", paramLabel = "PEM",
        description = "serve the HTTP API over HTTPS with this certificate chain (with --tls-key); the artifact URL"
            + " handed to workers and clients says https")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "the private key of --tls-cert")
    Path tlsKey;

    @Option(names = "--repos", defaultValue = "repos", paramLabel = "DIR",
        description = "the repo definitions this farm builds (default: ${DEFAULT-VALUE})")
    Path repos;

    @Option(names = "--keep-builds", paramLabel = "N", defaultValue = "10", converter = NonNegativeIntConverter.class,
        description = "artifacts of the last N successful builds per repo and target are kept, with pinned builds'"
            + " (default: ${DEFAULT-VALUE})")
    int keepBuilds;

    @Option(names = "--collect-every", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
        description = "how often artifacts retention no longer keeps are deleted, e.g. 30m (default: ${DEFAULT-VALUE};"
            + " also once at start)")
    Duration collectEvery;

    @Option(names = "--nightly", paramLabel = "CRON", defaultValue = NightlySchedule.DEFAULT,
        converter = NightlyScheduleConverter.class,
        description = "when every repo is rebuilt as a reproducibility pair: a Unix cron expression in UTC, or 'off'"
            + " (default: ${DEFAULT-VALUE}; a leading sixth field counts seconds)")
    NightlySchedule nightly;

    @Option(names = "--nightly-component", paramLabel = "NAME=FILE",
        description = "a component every nightly build takes (tether=FILE, unpack=FILE); without any, nightly"
            + " builds take the components of the latest successful build")
    Map<String, Path> nightlyComponents = new LinkedHashMap<>();

    @Option(names = "--appliance-repo", paramLabel = "NAME", defaultValue = BuildCoordinator.DEFAULT_APPLIANCE_REPO,
        description = "the one repo the appliance ISO is built from; an appliance of any other repo is refused"
            + " (default: ${DEFAULT-VALUE})")
    String applianceRepo;

    @Option(names = "--allow-unsigned", paramLabel = "REPO", split = "\\s*,\\s*",
        description = "allow repo REPO to install packages without a signature check (.repo sections without"
            + " gpgcheck=1, a kernel .rpm file, apt sources with trusted=yes): its builds' buildinfo and the nightly"
            + " report say UNSIGNED; repeatable, or a comma list (default: every definition that would is refused)")
    List<String> allowUnsigned = new ArrayList<>();

    @Option(names = "--tokens", paramLabel = "FILE",
        description = "the clients of the HTTP API and the bridge, one 'name token [read|submit|admin]' per line,"
            + " re-read when it changes (default: <data-dir>/coordinator/" + DefaultTokensFile.NAME + ", made with a"
            + " 'local' admin and a 'workers' token when missing)")
    Path tokens;

    @Option(names = "--protect-metrics", description = "GET /metrics needs a token of role read too (default: open)")
    boolean protectMetrics;

    @Option(names = "--signing-key", paramLabel = "FILE", description = "the farm's provenance signing key, the same"
        + " on every coordinator; retired keys in retired/*.pub beside it (default: <data-dir>/coordinator/signing/)")
    Path signingKey;

    @Option(names = "--builder-id", paramLabel = "URI", description = "the builder.id the farm's signed provenance"
        + " names, the same on every coordinator (default: the farm's own urn:bootfarm:farm:KEYID, recorded in"
        + " builder-id beside the signing key when the first key is made, kept across rotation)")
    String builderId;

    @Mixin UploadOptions uploads;
    @Mixin StoreFlags.Options store = new StoreFlags.Options();
    @Mixin PlacementFlags placement = new PlacementFlags();

    CoordinatorSettings settings(FarmOptions farm) {
      return new CoordinatorSettings(farm.dataDir.resolve("coordinator").toAbsolutePath(),
          repos.toAbsolutePath(), Defaults.keysDir(farm.keys), httpHost, httpPort, Duration.ofMillis(500), LeasePolicy.DEFAULT, RetryPolicy.DEFAULT,
          new RetentionPolicy.Settings(keepBuilds, collectEvery), nightly, nightlyComponents, applianceRepo,
          Set.copyOf(allowUnsigned), tokens == null ? null : tokens.toAbsolutePath(), protectMetrics,
          uploads.limits(), store.flags().database(), new SigningSettings(
          signingKey == null ? null : signingKey.toAbsolutePath(), builderId), placement.stealAfter);
    }

    /**
     * The token of the {@code workers} client in the tokens file these settings use (the default file is made
     * when missing): what a worker in this process sends to the artifact store.
     */
    static String workersToken(CoordinatorSettings settings) throws IOException {
      Path file = settings.tokensFile() != null ? settings.tokensFile()
          : DefaultTokensFile.prepare(settings.dataDir());
      return DefaultTokensFile.tokenOf(file, DefaultTokensFile.WORKERS_CLIENT).orElseThrow(() -> new IOException(
          "tokens file " + file + " has no '" + DefaultTokensFile.WORKERS_CLIENT + "' client, whose token the worker"
          + " of this process uploads with: add a line 'workers <token> submit' (openssl rand -hex 32), or give"
          + " --token-file"));
    }
  }

  /** The worker's own flags. */
  static final class WorkerOptions {
    @Option(names = "--slots", defaultValue = "1", description = "builds run at once (default: ${DEFAULT-VALUE})")
    int slots;

    @Option(names = "--cache-dir", paramLabel = "DIR",
        description = "package caches and build directories (default: $BOOTFARM_CACHE_DIR, else /var/cache/bootfarm as root)")
    Path cacheDir;

    @Option(names = "--worker-id", paramLabel = "NAME",
        description = "this worker's stable name: letters, digits, '.', '_', '-' (default: kept in <data-dir>/worker-id,"
            + " created once as <hostname>-<8 random hex>)")
    String workerId;

    @Option(names = "--package-managers", paramLabel = "LIST", split = ",",
        description = "run (and advertise) only these of the package managers this machine can run, e.g. apt"
            + " (default: all of them)")
    List<String> packageManagers = List.of();

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30m", converter = DurationConverter.class,
        description = "on SIGTERM the worker takes no new builds and waits this long for its running builds to finish"
            + " and report before it leaves the cluster; a second signal leaves at once (default: ${DEFAULT-VALUE})")
    Duration drainTimeout;

    @Mixin MetricsAddress metrics = new MetricsAddress();

    @Mixin WorkerCacheFlags caches = new WorkerCacheFlags();

    @Option(names = "--token-file", paramLabel = "FILE", defaultValue = "${env:BOOTFARM_TOKEN_FILE}",
        description = "a file holding the token (of role submit) this worker uploads and downloads artifacts with;"
            + " never the token itself on the command line (default: $BOOTFARM_TOKEN_FILE)")
    Path tokenFile;

    WorkerAgent.Settings settings(FarmOptions farm, String storeToken) {
      return new WorkerAgent.Settings(Defaults.cacheDir(cacheDir), Defaults.keysDir(farm.keys), slots, 1000,
          packageManagers, Duration.ofMinutes(5), storeToken).withActionCache(!caches.noActionCache);
    }

    /** The worker's id and farm certificate ({@link MemberOptions#worker}), before anything joins the cluster. */
    MemberOptions.WorkerMember member(FarmOptions farm) throws Exception {
      Path dataDir = farm.dataDir.toAbsolutePath();
      return farm.member.worker(workerId, dataDir, flag -> WorkerIdentity.resolve(flag, dataDir));
    }

    /**
     * The worker {@code id} with its settings checked; its meters go to {@code metrics}, it sends the token
     * of --token-file, else {@code inProcessToken} (null: the flag is required), and trusts its farm CA, the
     * {@code ca.pem} of {@code credential}'s member directory, for an HTTPS coordinator.
     */
    WorkerAgent agent(String id, FarmOptions farm, NodeMetrics metrics, String inProcessToken,
        MemberCredential credential) throws IOException {
      String token = tokenFile != null ? WorkerTokenFile.read(tokenFile) : inProcessToken;
      // the id and the package managers are checked first: those errors say more about a wrong command line
      WorkerAgent agent = WorkerAgent.create(id, settings(farm, token).withTrustedCas(credential == null ? List.of()
          : List.of(credential.caFile())), metrics.registry());
      if (token == null) {
        agent.close();
        throw new IllegalArgumentException("a worker needs the token it uploads and downloads artifacts with: give"
            + " --token-file FILE (or BOOTFARM_TOKEN_FILE), a file holding the token of a client of role submit in"
            + " the coordinator's tokens file (its 'workers' line: <coordinator data-dir>/coordinator/"
            + DefaultTokensFile.NAME + ")");
      }
      return agent;
    }
  }

  @Command(name = "coordinator", mixinStandardHelpOptions = true,
      description = "Run a coordinator: the APIs, the durable queue, placement and the artifact store.")
  static final class Coordinator implements Callable<Integer> {
    @Mixin FarmOptions farm;
    @Mixin CoordinatorOptions options;
    @Mixin BridgeSetup bridge;

    @Override
    public Integer call() throws Exception {
      farm.privateDataDir();
      CoordinatorSettings settings = options.settings(farm); // a wrong --store is refused before joining
      ClusterNode node = ClusterNode.start(farm.coordinatorCluster());
      CoordinatorDaemon daemon = CoordinatorDaemon.start(node, settings, HttpsIdentity.of(options.tlsCert,
          options.tlsKey));
      BridgeServer bridgeServer = bridge.start(node.vertx(), daemon);
      System.out.println("bootfarm coordinator " + node.nodeId() + " ready: HTTP " + daemon.artifactsUrl()
          + ", bridge " + BridgeSetup.describe(bridgeServer, bridge) + ", cluster " + farm.clusterHost + ":"
          + farm.clusterPort + ", tokens " + daemon.access().tokens().file());
      Thread.currentThread().join();
      return 0;
    }
  }

  @Command(name = "worker", mixinStandardHelpOptions = true,
      description = "Run a worker: joins the coordinators given with --join and builds what they place on it.")
  static final class Worker implements Callable<Integer> {
    @Mixin FarmOptions farm;
    @Mixin WorkerOptions options;

    /**
     * Joins, takes work, and when the last coordinator leaves the cluster (whose Vert.x state lived on
     * the coordinators, ADR 0013) leaves and joins again as a new node, under the same worker id;
     * running builds go on meanwhile and report to the coordinator that comes back. On SIGTERM it
     * drains ({@link #drainAndLeave}).
     */
    @Override
    public Integer call() throws Exception {
      // one registry for the process: every cluster node it joins on reports into it, and it serves on meanwhile
      NodeMetrics metrics = NodeMetrics.create("worker");
      farm.privateDataDir();
      MemberOptions.WorkerMember member = options.member(farm);
      WorkerAgent agent = options.agent(member.workerId(), farm, metrics, null, member.credential());
      MetricsHttpServer metricsServer = options.metrics.serve(metrics);
      ClusterSettings settings = farm.cluster(NodeRole.WORKER, member.credential());
      AtomicReference<ClusterNode> current = new AtomicReference<>();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> drainAndLeave(agent, current, options.drainTimeout),
          "bootfarm-worker-drain"));
      for (boolean first = true; ; first = false) {
        if (!first) {
          awaitListening(settings.join(), Duration.ofMinutes(5));
        }
        ClusterNode node = ClusterNode.startWhenCoordinatorIsUp(settings, metrics, Duration.ofMinutes(5),
            Duration.ofSeconds(1), message -> LOG.log(System.Logger.Level.INFO, "bootfarm worker: " + message));
        node.keepOpenOnShutdown(); // drainAndLeave closes it once the builds are done
        current.set(node);
        CountDownLatch noCoordinatorLeft = new CountDownLatch(1);
        node.membership().subscribe(joined -> { }, left -> {
          if (node.membership().coordinators().isEmpty()) {
            noCoordinatorLeft.countDown();
          }
        });
        agent.attach(node);
        System.out.println("bootfarm worker " + agent.workerId() + (first ? " ready: " : " rejoined: ")
            + options.slots + " slots, runs " + String.join(",", agent.packageManagers()) + ", node " + node.nodeId()
            + ", " + options.metrics.describe(metricsServer));
        if (node.membership().coordinators().isEmpty()) {
          noCoordinatorLeft.countDown();
        }
        noCoordinatorLeft.await();
        System.out.println("bootfarm worker " + agent.workerId()
            + ": the last coordinator left the cluster; joining again (running builds go on)");
        agent.detach();
        current.set(null);
        node.close();
      }
    }

    /**
     * The worker's shutdown: takes no new builds, waits up to {@code timeout} for the running ones to
     * finish and report, then leaves the cluster. A second SIGTERM or SIGINT leaves at once; builds still
     * running then go back to the queue when their leases run out. A worker that drained completely
     * exits 0, so a supervisor sees a clean stop.
     */
    static void drainAndLeave(WorkerAgent agent, AtomicReference<ClusterNode> current, Duration timeout) {
      String who = "bootfarm worker " + agent.workerId();
      for (String name : List.of("TERM", "INT")) {
        try {
          Signal.handle(new Signal(name), second -> {
            LOG.log(System.Logger.Level.WARNING, who + ": SIG" + name + " again: leaving the cluster now");
            agent.leaveNow();
          });
        } catch (IllegalArgumentException notHandled) {
          // the JVM keeps this signal (e.g. -Xrs): a second one cannot shorten the drain
        }
      }
      List<String> held = agent.heldBuilds();
      LOG.log(System.Logger.Level.INFO, who + ": stopping: no new builds; waiting up to " + timeout + " for "
          + (held.isEmpty() ? "no running build" : held.size() + " running build(s) " + held)
          + " to finish and report (signal again to leave at once)");
      List<String> left;
      try {
        left = agent.drain(timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        left = agent.heldBuilds();
      }
      agent.detach();
      ClusterNode node = current.getAndSet(null);
      if (node != null) {
        node.close();
      }
      if (left.isEmpty()) {
        LOG.log(System.Logger.Level.INFO, who + ": drained: every build finished and was reported; left the cluster");
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(0);
      }
      LOG.log(System.Logger.Level.WARNING, who + ": left the cluster with build(s) " + left
          + " unfinished; the coordinator takes them back when their leases run out");
    }

    /**
     * Waits until one of the join addresses accepts a TCP connection, probing twice a second: a plain
     * connect costs nothing, while each try to join a cluster with no coordinator starts (and stops) a
     * whole Hazelcast member, which on a small machine slows down the very coordinator being waited for.
     */
    static void awaitListening(List<JoinMember> join, Duration patience) throws InterruptedException {
      if (join.isEmpty()) {
        return; // Kubernetes discovery: nothing to probe, joining retries by itself
      }
      long deadline = System.nanoTime() + patience.toNanos();
      while (System.nanoTime() < deadline) {
        for (JoinMember member : join) {
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(member.host(), member.port()), 200);
            return;
          } catch (IOException notYet) {
            // nobody listens there yet
          }
        }
        Thread.sleep(500);
      }
    }
  }

  @Command(name = "standalone", mixinStandardHelpOptions = true,
      description = "Run a coordinator and one worker in this JVM: a farm of one on 127.0.0.1.")
  static final class Standalone implements Callable<Integer> {
    @Mixin FarmOptions farm;
    @Mixin CoordinatorOptions coordinatorOptions;
    @Mixin WorkerOptions workerOptions;
    @Mixin BridgeSetup bridge;

    @Override
    public Integer call() throws Exception {
      // the worker's meters apart from the coordinator's, so each endpoint carries its own job's names
      NodeMetrics workerMetrics = NodeMetrics.create("worker");
      farm.privateDataDir();
      CoordinatorSettings settings = coordinatorOptions.settings(farm);
      ClusterSettings cluster = farm.coordinatorCluster();
      // the worker in this process uploads with the farm's 'workers' token, handed over in-process
      WorkerAgent agent = workerOptions.agent(WorkerIdentity.resolve(workerOptions.workerId,
          farm.dataDir.toAbsolutePath()), farm, workerMetrics,
          workerOptions.tokenFile != null ? null : CoordinatorOptions.workersToken(settings), cluster.credential());
      MetricsHttpServer metricsServer = workerOptions.metrics.serve(workerMetrics);
      ClusterNode node = ClusterNode.start(cluster);
      Vertx vertx = node.vertx();
      CoordinatorDaemon daemon = CoordinatorDaemon.start(node, settings,
          HttpsIdentity.of(coordinatorOptions.tlsCert, coordinatorOptions.tlsKey));
      BridgeServer bridgeServer = bridge.start(vertx, daemon);
      agent.attach(node);
      System.out.println("bootfarm standalone " + node.nodeId() + " ready: HTTP " + daemon.artifactsUrl()
          + ", bridge " + BridgeSetup.describe(bridgeServer, bridge) + ", worker "
          + workerOptions.metrics.describe(metricsServer) + ", tokens " + daemon.access().tokens().file());
      Thread.currentThread().join();
      return 0;
    }
  }
}
