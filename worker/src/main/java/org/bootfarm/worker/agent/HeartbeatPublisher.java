package org.bootfarm.worker.agent;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * Advertises the worker on {@link Addresses#WORKER_HEARTBEAT} every heartbeat interval: what it runs,
 * its warm caches, the slots it offers (none while it drains), how many are busy and the builds it
 * holds, whose leases the coordinator renews from this.
 */
final class HeartbeatPublisher {
  private final String workerId;
  private final PackageDrivers drivers;
  private final WorkerAgent.Settings settings;
  private final BuildSlots slots;
  private final ClusterLink link;
  /** The Vert.x the periodic heartbeat runs on, and its timer; null when it does not run. */
  private Vertx timerVertx;
  private long timer;

  HeartbeatPublisher(String workerId, PackageDrivers drivers, WorkerAgent.Settings settings, BuildSlots slots,
      ClusterLink link) {
    this.workerId = workerId;
    this.drivers = drivers;
    this.settings = settings;
    this.slots = slots;
    this.link = link;
  }

  /** Publishes now and then every interval on {@code vertx}, the node just attached. */
  synchronized void start(Vertx vertx) {
    stop();
    timerVertx = vertx;
    timer = vertx.setPeriodic(0, settings.heartbeatMillis(), id -> publishNow());
  }

  /** Stops the periodic heartbeat (the node is about to close). */
  synchronized void stop() {
    if (timerVertx != null) {
      timerVertx.cancelTimer(timer);
      timerVertx = null;
    }
  }

  /** Publishes one heartbeat now (off the event loop: it measures the caches), if a node is attached. */
  void publishNow() {
    ClusterLink.Node node = link.node();
    if (node == null) {
      return;
    }
    node.vertx().executeBlocking(() -> WorkerDescription.describe(workerId, node.nodeId(), drivers,
        settings.cacheDir(), slots.advertised(), slots.busy(), settings.heartbeatMillis(), slots.heldBuilds()),
        false)
        .onSuccess(info -> node.vertx().eventBus().publish(Addresses.WORKER_HEARTBEAT,
            new JsonObject(WireJson.write(info))));
  }
}
