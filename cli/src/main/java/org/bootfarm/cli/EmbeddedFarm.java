package org.bootfarm.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.PrivateDirectory;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.coordinator.bridge.BridgeServer;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.worker.agent.WorkerAgent;
import org.bootfarm.worker.agent.WorkerIdentity;

/**
 * A whole farm in this JVM for one job (the README's main job): a coordinator with its bridge on
 * ephemeral loopback ports, a cluster of one, and two workers with their own package caches, so a
 * reproducibility pair has two different workers to run on. Its state lives under one directory and
 * survives it, so a second run finds its caches warm and its history. The client commands use the
 * coordinator's {@code local} (admin) token, and the workers upload with its {@code workers} token, both
 * from the tokens file in its data dir, handed over in-process.
 */
final class EmbeddedFarm implements AutoCloseable {
  /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
  private static final java.util.logging.Logger HAZELCAST_LOG = java.util.logging.Logger.getLogger("com.hazelcast");

  private final ClusterNode node;
  private final CoordinatorDaemon daemon;
  private final BridgeServer bridge;
  private final List<WorkerAgent> workers = new ArrayList<>();
  private final String token;

  private EmbeddedFarm(Path dataDir, Path repos, Path keys, Path cacheDir, Map<String, Path> components,
      Set<String> allowUnsigned) throws Exception {
    HAZELCAST_LOG.setLevel(java.util.logging.Level.WARNING);
    PrivateDirectory.ensure(dataDir, "the embedded farm's data directory");
    // its CA and certificate are made under the data dir on the first run and reused after (ADR 0031)
    node = ClusterNode.start(ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", freePort(), "",
        dataDir.toAbsolutePath()).withClusterName("bootfarm-embedded-" + ProcessHandle.current().pid())
        .withCredential(MemberOptions.ownCa(dataDir, "embedded", "coordinator-embedded")));
    Path coordinatorDir = dataDir.resolve("coordinator").toAbsolutePath();
    daemon = CoordinatorDaemon.start(node, new CoordinatorSettings(coordinatorDir,
        repos.toAbsolutePath(), keys, "127.0.0.1", 0, Duration.ofMillis(500), LeasePolicy.DEFAULT,
        RetryPolicy.DEFAULT, RetentionPolicy.Settings.DEFAULT, NightlySchedule.parse(NightlySchedule.OFF), components,
        BuildCoordinator.DEFAULT_APPLIANCE_REPO, allowUnsigned));
    Path tokens = daemon.access().tokens().file();
    bridge = BridgeServer.start(node.vertx(), BridgeServer.Settings.loopback(0, tokens), daemon.access().tokens(),
        daemon.access().refusals(), daemon.coordinatorRequests()).await();
    token = tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT);
    String workersToken = tokenOf(tokens, DefaultTokensFile.WORKERS_CLIENT);
    for (int i = 1; i <= 2; i++) {
      Path workerData = dataDir.resolve("worker-" + i).toAbsolutePath();
      // no metrics port for these workers (--metrics-port 0): the embedded farm serves one job and ends
      WorkerAgent agent = WorkerAgent.create(WorkerIdentity.resolve(null, workerData),
          new WorkerAgent.Settings(i == 1 ? cacheDir : cacheDir.resolve("workers").resolve(String.valueOf(i)),
              keys, 1, 1000).withStoreToken(workersToken));
      agent.attach(node);
      workers.add(agent);
    }
  }

  /**
   * Starts the farm; its coordinator, two workers and bridge are ready when this returns. The repos in
   * {@code allowUnsigned} may install packages without a signature check (the coordinator's --allow-unsigned).
   */
  static EmbeddedFarm start(Path dataDir, Path repos, Path keys, Path cacheDir, Map<String, Path> components,
      Set<String> allowUnsigned) throws Exception {
    return new EmbeddedFarm(dataDir, repos, keys, cacheDir, components, allowUnsigned);
  }

  /** The bridge address for the client commands. */
  String farm() {
    return "127.0.0.1:" + bridge.actualPort();
  }

  String token() {
    return token;
  }

  /** The embedded farm's tokens file (its 'local' client is admin). */
  Path tokensFile() {
    return daemon.access().tokens().file();
  }

  /** The embedded farm's CA directory, made on its first start. */
  Path caDir() {
    return MemberOptions.ownCaDir(node.settings().dataDir());
  }

  private static String tokenOf(Path tokens, String client) throws IOException {
    return DefaultTokensFile.tokenOf(tokens, client).orElseThrow(() -> new IOException("the embedded farm's tokens"
        + " file " + tokens + " has no '" + client + "' token; delete the file and run again"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    workers.forEach(WorkerAgent::close);
    bridge.close().await();
    daemon.close();
    node.close();
  }
}
