package org.bootfarm.coordinator.failover;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.bus.ForwardingFarmApi;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreFixture;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standby on the shared PostgreSQL store answers reads of builds from that store itself, even when no active
 * coordinator can be reached over the event bus, while everything else is still forwarded (and is unavailable
 * then); without a shared store a standby's reads are forwarded as before.
 */
@Tag("unit")
class StandbyReadsTest {
  @TempDir Path dir;
  private StoreFixture database;
  private SqlBuildStore activeStore;
  private SqlBuildStore standbyStore;
  private ArtifactStore artifacts;
  private Vertx unreachable;
  private BuildCoordinator active;
  private BuildCoordinator standby;
  private String tether;

  @BeforeEach
  void start() throws Exception {
    database = StoreFixture.postgres(getClass().getSimpleName());
    activeStore = database.openBuilds(Clock.systemUTC());
    standbyStore = SqlBuildStore.open(database.database(), Clock.systemUTC()); // a second session: no term needed
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    byte[] content = "tether".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
    RepoCatalog repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    active = new BuildCoordinator(activeStore, artifacts, repos, new RendezvousPlacement(), Clock.systemUTC(),
        Duration.ofSeconds(10));
    standby = new BuildCoordinator(standbyStore, artifacts, repos, new RendezvousPlacement(), Clock.systemUTC(),
        Duration.ofSeconds(10));
    unreachable = Vertx.vertx(); // an event bus on which no active coordinator answers: the cluster is cut
  }

  @AfterEach
  void stop() throws Exception {
    unreachable.close().await();
    standbyStore.close();
    activeStore.close();
    artifacts.close();
    database.close();
  }

  private ActiveOrForwardedApi standbyApi(boolean sharedStore) {
    return new ActiveOrForwardedApi(() -> false, standby, new ForwardingFarmApi(
        org.bootfarm.cluster.CoordinatorRequests.unsecured(unreachable), Duration.ofSeconds(30)),
        artifacts, () -> null, Duration.ofSeconds(5), sharedStore);
  }

  @Test
  void aStandbyOnTheSharedStoreReadsBuildsItselfAndForwardsTheRest() throws Exception {
    String id = active.submit(MEMBER, new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether),
        null, null));
    ActiveOrForwardedApi api = standbyApi(true);

    assertEquals(active.get(id), api.get(id));
    assertEquals(active.list(new BuildQuery("debian-12", null, 5)), api.list(new BuildQuery("debian-12", null, 5)));
    ApiException missing = assertThrows(ApiException.class, () -> api.get("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    assertEquals(ApiError.Code.NOT_FOUND, missing.error().code());
    // a change still goes to the active coordinator, which cannot be reached
    ApiException cancel = assertThrows(ApiException.class, () -> api.cancel(MEMBER, id));
    assertEquals(ApiError.Code.UNAVAILABLE, cancel.error().code());
    assertEquals(ApiError.Code.UNAVAILABLE, assertThrows(ApiException.class, api::workers).error().code());
  }

  @Test
  void withoutASharedStoreAStandbysReadsAreForwarded() throws Exception {
    String id = active.submit(MEMBER, new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether),
        null, null));
    ApiException refused = assertThrows(ApiException.class, () -> standbyApi(false).get(id));
    assertEquals(ApiError.Code.UNAVAILABLE, refused.error().code());
  }
}
