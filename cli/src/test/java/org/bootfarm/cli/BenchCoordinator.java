package org.bootfarm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import org.bootfarm.coordinator.daemon.CoordinatorSettings;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.bootfarm.coordinator.retention.RetentionPolicy;

/**
 * A coordinator for benchmarks that compare the event bus with and without mutual TLS side by side:
 * the same daemon {@code bootfarm coordinator} runs, on a cluster node with a farm certificate or,
 * for the baseline only, without one (which no command offers). Test code, never shipped.
 *
 * <p>Usage: {@code BenchCoordinator DATA_DIR REPOS CLUSTER_NAME CLUSTER_PORT HTTP_PORT MEMBER_DIR|- [STORE|-]},
 * STORE a {@code postgresql://HOST:PORT/DB?user=U} URL as {@code --store} takes (default: SQLite in DATA_DIR).
 */
public final class BenchCoordinator {
  private BenchCoordinator() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]).toAbsolutePath();
    ClusterSettings settings = ClusterSettings.of(NodeRole.COORDINATOR, "127.0.0.1", Integer.parseInt(args[3]), "",
        data).withClusterName(args[2]);
    if (!args[5].equals("-")) {
      settings = settings.withCredential(MemberCredential.load(Path.of(args[5])));
    }
    ClusterNode node = ClusterNode.start(settings);
    Path keys = Files.createDirectories(data.resolve("keys"));
    StoreDatabase store = args.length > 6 && !args[6].equals("-") ? StoreDatabase.postgresql(args[6], null) : null;
    CoordinatorDaemon.start(node, new CoordinatorSettings(data.resolve("coordinator"), Path.of(args[1]),
        keys, "127.0.0.1", Integer.parseInt(args[4]), Duration.ofMillis(500), LeasePolicy.DEFAULT, RetryPolicy.DEFAULT,
        RetentionPolicy.Settings.DEFAULT, NightlySchedule.parse(NightlySchedule.OFF), Map.of(),
        BuildCoordinator.DEFAULT_APPLIANCE_REPO, Set.of(), null, false, null, store, null, null));
    System.out.println("bench coordinator ready (" + (settings.secured() ? "mutual TLS" : "plain event bus") + ")");
    Thread.currentThread().join();
  }
}
