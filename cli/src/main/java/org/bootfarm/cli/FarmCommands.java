package org.bootfarm.cli;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.coordinator.bridge.BridgeServer;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.worker.agent.WorkerAgent;
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

    CoordinatorDaemon.Settings settings(FarmOptions farm) {
      return new CoordinatorDaemon.Settings(farm.dataDir.resolve("coordinator").toAbsolutePath(),
          repos.toAbsolutePath(), Defaults.keysDir(farm.keys), httpHost, httpPort, Duration.ofMillis(500), LeasePolicy.DEFAULT, RetryPolicy.DEFAULT,
          new RetentionPolicy.Settings(keepBuilds, collectEvery));
    }
  }

  /** The worker's own flags. */
  static final class WorkerOptions {
    @Option(names = "--slots", defaultValue = "1", description = "builds run at once (default: ${DEFAULT-VALUE})")
    int slots;

    @Option(names = "--cache-dir", paramLabel = "DIR",
        description = "package caches and build directories (default: $BOOTFARM_CACHE_DIR, else /var/cache/bootfarm as root)")
    Path cacheDir;

    WorkerAgent.Settings settings(FarmOptions farm) {
      return new WorkerAgent.Settings(Defaults.cacheDir(cacheDir), Defaults.keysDir(farm.keys), slots, 1000);
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

    @Override
    public Integer call() throws Exception {
      ClusterNode node = ClusterNode.startWhenCoordinatorIsUp(farm.cluster(NodeRole.WORKER), Duration.ofMinutes(5),
          Duration.ofSeconds(5), message -> System.err.println("bootfarm worker: " + message));
      WorkerAgent.start(node.vertx(), node.nodeId(), options.settings(farm));
      System.out.println("bootfarm worker " + node.nodeId() + " ready: " + options.slots + " slots");
      Thread.currentThread().join();
      return 0;
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
      ClusterNode node = ClusterNode.start(farm.cluster(NodeRole.COORDINATOR));
      Vertx vertx = node.vertx();
      CoordinatorDaemon.Settings settings = coordinatorOptions.settings(farm);
      CoordinatorDaemon daemon = CoordinatorDaemon.start(vertx, settings, node.membership(), node.hazelcast());
      BridgeServer bridgeServer = bridge.start(vertx, settings.dataDir());
      WorkerAgent.start(vertx, node.nodeId(), workerOptions.settings(farm));
      System.out.println("bootfarm standalone " + node.nodeId() + " ready: HTTP " + daemon.artifactsUrl()
          + ", bridge " + BridgeSetup.describe(bridgeServer, bridge));
      Thread.currentThread().join();
      return 0;
    }
  }
}
