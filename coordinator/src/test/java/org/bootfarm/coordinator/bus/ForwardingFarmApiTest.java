package org.bootfarm.coordinator.bus;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standby's view of the API: calls forwarded over a real event bus to the {@link EventBusApi} of
 * an active coordinator's {@link BuildCoordinator} answer what the coordinator answers, refusals
 * included word for word, and no active coordinator is UNAVAILABLE at once rather than a hang.
 */
@Tag("unit")
class ForwardingFarmApiTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static SqlBuildStore store;
  static ArtifactStore artifacts;
  static BuildCoordinator coordinator;
  static ForwardingFarmApi forwarding;
  static String tether;

  @BeforeAll
  static void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    byte[] content = "tether".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
    coordinator = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
        new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    new EventBusApi(vertx, coordinator).register().await();
    forwarding = new ForwardingFarmApi(CoordinatorRequests.unsecured(vertx), Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  @Test
  void forwardedCallsAnswerWhatTheActiveCoordinatorAnswers() throws Exception {
    String id = forwarding.submit(MEMBER, new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether), null, null));
    assertEquals(coordinator.get(id), forwarding.get(id)); // as records: the components map's order is no answer
    assertEquals(coordinator.list(new BuildQuery("debian-12", null, 5)),
        forwarding.list(new BuildQuery("debian-12", null, 5)));
    assertEquals(WireJson.write(coordinator.repos()), WireJson.write(forwarding.repos()));
    assertEquals("CANCELLED", forwarding.cancel(MEMBER, id).state().name());
  }

  @Test
  void aForwardedCallIsMadeForItsCallerNotForTheStandby() throws Exception {
    Caller ci = new Caller("ci", AccessRole.SUBMIT);
    String id = forwarding.submit(ci, new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether), null, null));
    assertEquals("ci", coordinator.get(id).submittedBy(), "the active coordinator records the HTTP client");
    ApiException others = assertThrows(ApiException.class,
        () -> forwarding.cancel(new Caller("bob", AccessRole.SUBMIT), id));
    assertEquals(ApiError.Code.FORBIDDEN, others.error().code());
    assertEquals("CANCELLED", forwarding.cancel(ci, id).state().name());
  }

  @Test
  void refusalsComeBackWordForWord() {
    SubmitRequest unknown = new SubmitRequest("no-such-repo", null, Map.of("tether", "ab".repeat(32)), null, null);
    ApiException direct = assertThrows(ApiException.class, () -> coordinator.submit(MEMBER, unknown));
    ApiException forwarded = assertThrows(ApiException.class, () -> forwarding.submit(MEMBER, unknown));
    assertEquals(direct.error(), forwarded.error());
    ApiException missing = assertThrows(ApiException.class, () -> forwarding.get("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    assertEquals(ApiError.Code.NOT_FOUND, missing.error().code());
  }

  @Test
  void noActiveCoordinatorIsUnavailableAtOnce() {
    Vertx alone = Vertx.vertx();
    try {
      long started = System.nanoTime();
      ApiException refused = assertThrows(ApiException.class,
          () -> new ForwardingFarmApi(CoordinatorRequests.unsecured(alone), Duration.ofSeconds(60)).workers());
      assertEquals(ApiError.Code.UNAVAILABLE, refused.error().code());
      assertTrue(refused.getMessage().contains("try again"), refused.getMessage());
      assertTrue(System.nanoTime() - started < Duration.ofSeconds(30).toNanos(),
          "no consumer answers NO_HANDLERS: the call fails without waiting out its 60 s timeout");
    } finally {
      alone.close().await();
    }
  }
}
