package org.bootfarm.coordinator.daemon;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.bus.EventBusApi;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.http.ApiHttpServer;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.LeaseReconciler;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.queue.SqliteBuildStore;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
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
 * workers finish builds, but only from the worker that still holds the lease.
 */
public final class CoordinatorDaemon implements AutoCloseable {
  /** Where and how the coordinator runs. */
  public record Settings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry) {}

  /**
   * What a restarted coordinator adds to one lease before it takes back the builds it finds running:
   * their workers must join the cluster again before they can renew (the cluster's state died with the
   * last coordinator), measured at 3-18 s here with four workers and the coordinator starting at once
   * on 2 busy cores.
   */
  static final Duration REJOIN_GRACE = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final SqliteBuildStore store;
  private final ArtifactStore artifacts;
  private final BuildCoordinator coordinator;
  private final LeaseReconciler reconciler;
  private final HttpServer http;
  private final String artifactsUrl;
  private final long[] timers = new long[2];
  /** The consumers of the workers' heartbeats and reports: closed with the daemon, so reports wait for the next. */
  private final List<MessageConsumer<Object>> workerConsumers = new ArrayList<>();
  private final Clock clock = Clock.systemUTC();

  private CoordinatorDaemon(Vertx vertx, Settings settings, ClusterMembership membership) throws IOException {
    this.vertx = vertx;
    Files.createDirectories(settings.dataDir());
    store = SqliteBuildStore.open(settings.dataDir().resolve("builds.sqlite"), clock);
    artifacts = ArtifactStore.openAt(settings.dataDir().resolve("artifacts"), ArtifactStore.Options.defaults());
    RepoCatalog catalog = RepoCatalog.read(settings.reposDir(), new LoadOptions(settings.keysDir(), false));
    coordinator = new BuildCoordinator(store, artifacts, catalog, new RendezvousPlacement(), clock,
        settings.lease().duration());
    reconciler = new LeaseReconciler(store, settings.lease(), settings.retry());
    reconciler.afterRestart(clock.instant(), settings.lease().duration().plus(REJOIN_GRACE));
    new EventBusApi(vertx, coordinator).register().await();
    workerConsumers.add(vertx.eventBus().<Object>consumer(Addresses.WORKER_HEARTBEAT,
        message -> renewLeases(message.body())));
    workerConsumers.add(vertx.eventBus().<Object>consumer(Addresses.REPORT, this::report));
    if (membership != null) {
      membership.subscribe(joined -> { }, left -> {
        if (left.role() == NodeRole.WORKER) {
          // workers keep their ids across restarts: only the ids whose latest heartbeat came from this node
          for (String workerId : coordinator.workersOnNode(left.nodeId())) {
            coordinator.workerLeft(workerId);
            vertx.executeBlocking(() -> reconciler.workerLeft(workerId, clock.instant()), false);
          }
        }
      });
    }
    http = new ApiHttpServer(vertx, coordinator, new ArtifactHttpEndpoint(vertx, artifacts, Duration.ofMinutes(5)))
        .listen(settings.httpHost(), settings.httpPort()).await();
    artifactsUrl = "http://" + settings.httpHost() + ":" + http.actualPort();
    timers[0] = vertx.setPeriodic(settings.assignEvery().toMillis(), id -> assign(catalog));
    timers[1] = vertx.setPeriodic(settings.lease().reconcileEvery().toMillis(),
        id -> vertx.executeBlocking(() -> reconciler.reconcile(clock.instant()), false));
  }

  /** Starts the coordinator on a clustered (or, for tests, local) Vert.x instance. */
  public static CoordinatorDaemon start(Vertx vertx, Settings settings, ClusterMembership membership)
      throws IOException {
    return new CoordinatorDaemon(vertx, settings, membership);
  }

  /** The HTTP port it listens on (useful with port 0). */
  public int httpPort() {
    return http.actualPort();
  }

  public String artifactsUrl() {
    return artifactsUrl;
  }

  /** Places queued builds and sends each to its worker's inbox with the definition's files. */
  private void assign(RepoCatalog catalog) {
    vertx.executeBlocking(() -> {
      for (BuildCoordinator.Assignment placed : coordinator.assign(16)) {
        RepoDefinition definition = catalog.find(placed.build().repo()).flatMap(RepoCatalog.Entry::definition)
            .orElseThrow();
        Assignment assignment = new Assignment(placed.build().id(), placed.build().repo(), placed.build().target(),
            placed.build().components(), DefinitionFiles.read(definition.directory()),
            RepoDefinitionLoader.digest(definition.directory()), artifactsUrl, placed.build().attempts());
        vertx.eventBus().send(Addresses.workerInbox(placed.workerId()), new JsonObject(WireJson.write(assignment)));
      }
      return null;
    }, false);
  }

  private void renewLeases(Object body) {
    try {
      WorkerInfo info = WireJson.read(String.valueOf(body), WorkerInfo.class);
      if (!info.running().isEmpty()) {
        vertx.executeBlocking(() -> {
          for (String buildId : info.running()) {
            store.renewLease(buildId, info.id(), reconciler.leasePolicy().leaseUntil(clock.instant()));
          }
          return null;
        }, false);
      }
    } catch (WireJson.WireFormatException e) {
      // EventBusApi drops malformed heartbeats the same way
    }
  }

  /**
   * A worker's {@link BuildReport}: recorded, or refused when that worker no longer holds that run of the
   * build; answered either way once the store has decided, so the worker stops sending it. A store
   * failure answers with an error, and the worker sends the report again later.
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
          ? reconciler.onSuccess(report.buildId(), report.workerId(), report.attempt(), report.artifacts(),
              clock.instant())
          : reconciler.onFailure(report.buildId(), report.workerId(), report.attempt(), BuildOutcome.failed(
              report.error(), report.deterministic() ? ErrorKind.DETERMINISTIC : ErrorKind.TRANSIENT,
              report.artifacts()), clock.instant());
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
    for (long timer : timers) {
      vertx.cancelTimer(timer);
    }
    for (MessageConsumer<Object> consumer : workerConsumers) {
      consumer.unregister().await();
    }
    http.close().await();
    store.close();
    artifacts.close();
  }
}
