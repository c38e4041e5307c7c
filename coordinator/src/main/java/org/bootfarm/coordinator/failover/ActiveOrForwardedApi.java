package org.bootfarm.coordinator.failover;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.FarmApi;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * The HTTP server's calls: answered by this coordinator when it is active, forwarded to the active
 * coordinator when it is a standby. A submission to a standby first copies the components uploaded to
 * it to the active one, which checks them. On the farm's shared store a standby answers the reads of builds
 * (get, list) itself, from that store: they need no term, and so still answer while the standby cannot reach
 * the active coordinator over the event bus (before, they answered 503).
 */
public final class ActiveOrForwardedApi implements FarmApi {
  private final BooleanSupplier active;
  private final FarmApi local;
  private final FarmApi forwarding;
  private final ArtifactStore artifacts;
  private final Supplier<ArtifactReplication> replication;
  private final Duration timeout;
  private final boolean sharedStore;

  /**
   * @param local this coordinator's own answers
   * @param forwarding the active coordinator's answers, over the event bus
   * @param replication copies a component to the active coordinator (asked for at each submission: it may
   *     be made after this)
   * @param timeout how long copying one component to the active coordinator may take
   */
  public ActiveOrForwardedApi(BooleanSupplier active, FarmApi local, FarmApi forwarding, ArtifactStore artifacts,
      Supplier<ArtifactReplication> replication, Duration timeout) {
    this(active, local, forwarding, artifacts, replication, timeout, false);
  }

  /**
   * @param sharedStore whether {@code local} reads the farm's shared store (PostgreSQL), which a standby reads
   *     as well as the active coordinator: builds are then read locally
   */
  public ActiveOrForwardedApi(BooleanSupplier active, FarmApi local, FarmApi forwarding, ArtifactStore artifacts,
      Supplier<ArtifactReplication> replication, Duration timeout, boolean sharedStore) {
    this.sharedStore = sharedStore;
    this.active = active;
    this.local = local;
    this.forwarding = forwarding;
    this.artifacts = artifacts;
    this.replication = replication;
    this.timeout = timeout;
  }

  private FarmApi target() {
    return active.getAsBoolean() ? local : forwarding;
  }

  /** Where a read of builds goes: this coordinator's store when it is the shared one. */
  private FarmApi reader() {
    return sharedStore ? local : target();
  }

  @Override
  public String submit(Caller caller, SubmitRequest request) throws ApiException {
    if (!active.getAsBoolean()) {
      // components uploaded to this standby: make sure the active one holds them before it checks
      for (String sha256 : request.components().values()) {
        if (sha256 != null && ArtifactStore.isValidId(sha256) && artifacts.exists(sha256)) {
          try {
            replication.get().copyToActive(sha256, timeout);
          } catch (IOException e) {
            // the active coordinator's own check then names the missing component
          }
        }
      }
    }
    return target().submit(caller, request);
  }

  @Override
  public BuildView get(String id) throws ApiException {
    return reader().get(id);
  }

  @Override
  public List<BuildView> list(BuildQuery query) throws ApiException {
    return reader().list(query);
  }

  @Override
  public BuildView cancel(Caller caller, String id) throws ApiException {
    return target().cancel(caller, id);
  }

  @Override
  public BuildView pin(Caller caller, String id, PinRequest request) throws ApiException {
    return target().pin(caller, id, request);
  }

  @Override
  public BuildView unpin(Caller caller, String id) throws ApiException {
    return target().unpin(caller, id);
  }

  @Override
  public BuildView rebuild(Caller caller, String id) throws ApiException {
    return target().rebuild(caller, id);
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
