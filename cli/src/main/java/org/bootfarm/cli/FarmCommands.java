package org.bootfarm.cli;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.JoinMember;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.coordinator.bridge.BridgeServer;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.worker.agent.WorkerAgent;
import org.bootfarm.worker.agent.WorkerIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The farm's long-running processes: {@code bootfarm coordinator}, {@code bootfarm worker} and
 * {@code bootfarm standalone} (a coordinator and one worker in one JVM, a cluster of one on
 * 127.0.0.1). Each runs until it is stopped (SIGTERM leaves the cluster cleanly).
 */
final class FarmCommands {
  private FarmCommands() {}

  /** The coordinator's own flags. */
  static final class CoordinatorOptions {
    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "HTTP API address (default: ${DEFAULT-VALUE})")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP API port (default: ${DEFAULT-VALUE})")
    int httpPort;

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

    CoordinatorDaemon.Settings settings(FarmOptions farm) {
      return new CoordinatorDaemon.Settings(farm.dataDir.resolve("coordinator").toAbsolutePath(),
          repos.toAbsolutePath(), Defaults.keysDir(farm.keys), httpHost, httpPort, Duration.ofMillis(500), LeasePolicy.DEFAULT, RetryPolicy.DEFAULT,
          new RetentionPolicy.Settings(keepBuilds, collectEvery), nightly, nightlyComponents, applianceRepo);
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

    WorkerAgent.Settings settings(FarmOptions farm) {
      return new WorkerAgent.Settings(Defaults.cacheDir(cacheDir), Defaults.keysDir(farm.keys), slots, 1000,
          packageManagers, Duration.ofMinutes(5));
    }

    /** The worker's id and settings, checked before anything joins the cluster. */
    WorkerAgent agent(FarmOptions farm) throws IOException {
      return WorkerAgent.create(WorkerIdentity.resolve(workerId, farm.dataDir.toAbsolutePath()), settings(farm));
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
      ClusterNode node = ClusterNode.start(farm.cluster(NodeRole.COORDINATOR));
      CoordinatorDaemon.Settings settings = options.settings(farm);
      CoordinatorDaemon daemon = CoordinatorDaemon.start(node.vertx(), settings, node.membership(),
          node.hazelcast());
      BridgeServer bridgeServer = bridge.start(node.vertx(), settings.dataDir());
      System.out.println("bootfarm coordinator " + node.nodeId() + " ready: HTTP " + daemon.artifactsUrl()
          + ", bridge " + BridgeSetup.describe(bridgeServer, bridge) + ", cluster " + farm.clusterHost + ":"
          + farm.clusterPort);
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
     * running builds go on meanwhile and report to the coordinator that comes back.
     */
    @Override
    public Integer call() throws Exception {
      WorkerAgent agent = options.agent(farm);
      ClusterSettings settings = farm.cluster(NodeRole.WORKER);
      for (boolean first = true; ; first = false) {
        if (!first) {
          awaitListening(settings.join(), Duration.ofMinutes(5));
        }
        ClusterNode node = ClusterNode.startWhenCoordinatorIsUp(settings, Duration.ofMinutes(5),
            Duration.ofSeconds(1), message -> System.err.println("bootfarm worker: " + message));
        CountDownLatch noCoordinatorLeft = new CountDownLatch(1);
        node.membership().subscribe(joined -> { }, left -> {
          if (node.membership().coordinators().isEmpty()) {
            noCoordinatorLeft.countDown();
          }
        });
        agent.attach(node.vertx(), node.nodeId());
        System.out.println("bootfarm worker " + agent.workerId() + (first ? " ready: " : " rejoined: ")
            + options.slots + " slots, runs " + String.join(",", agent.packageManagers()) + ", node " + node.nodeId());
        if (node.membership().coordinators().isEmpty()) {
          noCoordinatorLeft.countDown();
        }
        noCoordinatorLeft.await();
        System.out.println("bootfarm worker " + agent.workerId()
            + ": the last coordinator left the cluster; joining again (running builds go on)");
        agent.detach();
        node.close();
      }
    }

    /**
     * Waits until one of the join addresses accepts a TCP connection, probing twice a second: a plain
     * connect costs nothing, while each try to join a cluster with no coordinator starts (and stops) a
     * whole Hazelcast member, which on a small machine slows down the very coordinator being waited for.
     */
    static void awaitListening(List<JoinMember> join, Duration patience) throws InterruptedException {
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
      WorkerAgent agent = workerOptions.agent(farm);
      ClusterNode node = ClusterNode.start(farm.cluster(NodeRole.COORDINATOR));
      Vertx vertx = node.vertx();
      CoordinatorDaemon.Settings settings = coordinatorOptions.settings(farm);
      CoordinatorDaemon daemon = CoordinatorDaemon.start(vertx, settings, node.membership(), node.hazelcast());
      BridgeServer bridgeServer = bridge.start(vertx, settings.dataDir());
      agent.attach(vertx, node.nodeId());
      System.out.println("bootfarm standalone " + node.nodeId() + " ready: HTTP " + daemon.artifactsUrl()
          + ", bridge " + BridgeSetup.describe(bridgeServer, bridge));
      Thread.currentThread().join();
      return 0;
    }
  }
}
