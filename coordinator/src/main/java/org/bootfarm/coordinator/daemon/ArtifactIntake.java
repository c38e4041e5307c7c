package org.bootfarm.coordinator.daemon;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.cas.UploadLimits;

/**
 * The coordinator's artifact store and the HTTP endpoint that takes uploads into it, opened and closed together
 * with the same {@link UploadLimits} (ADR 0041): the store keeps within their quota and free-space reserve, the
 * endpoint runs uploads on a pool of their own. Wiring only; what is decided lives in {@code cas}.
 */
final class ArtifactIntake implements AutoCloseable {
  private final Vertx vertx;
  private final ArtifactStore store;
  private final UploadLimits limits;
  private final MeterRegistry registry;
  private ArtifactHttpEndpoint endpoint;

  private ArtifactIntake(Vertx vertx, ArtifactStore store, UploadLimits limits, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.limits = limits;
    this.registry = registry;
  }

  /** Opens the artifact store in {@code directory} within {@code limits}' space. */
  static ArtifactIntake open(Vertx vertx, Path directory, UploadLimits limits, MeterRegistry registry)
      throws IOException {
    return new ArtifactIntake(vertx, ArtifactStore.openAt(directory, ArtifactStore.Options.defaults()
        .withSpace(limits.space())), limits, registry);
  }

  ArtifactStore store() {
    return store;
  }

  /** The upload endpoint (made on the first call), telling {@code stored} of every object an upload stored. */
  ArtifactHttpEndpoint endpoint(Consumer<ArtifactStore.PutResult> stored) {
    if (endpoint == null) {
      endpoint = new ArtifactHttpEndpoint(vertx, store, limits, registry, stored);
    }
    return endpoint;
  }

  /** Closes the uploads' pool and the store. */
  @Override
  public void close() throws IOException {
    if (endpoint != null) {
      endpoint.close();
    }
    store.close();
  }
}
