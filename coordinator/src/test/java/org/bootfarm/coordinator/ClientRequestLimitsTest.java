package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client's submission cannot do to the coordinator (ADR 0040), against the real SQLite and artifact stores
 * and the project's repos/: set the farm's own option keys, queue a build without its target's components, or
 * stall placement with builds no worker can take; and what a side B without its side A comes to.
 */
@Tag("unit")
class ClientRequestLimitsTest {
  @TempDir Path dir;
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  Map<String, String> components;

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    coordinator = new BuildCoordinator(store, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    components = Map.of("tether", stored("tether stand-in"), "unpack", stored("unpack stand-in"));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  private String stored(String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return artifacts.put(Sha256.of(bytes), new ByteArrayInputStream(bytes)).sha256();
  }

  private SubmitRequest build(String repo, Map<String, Object> options) {
    return new SubmitRequest(repo, null, components, null, options);
  }

  private static WorkerInfo worker(String id, List<String> managers, int slots) {
    return new WorkerInfo(id, "node-" + id, "test", "x86_64", managers, slots, 0, 100L << 30, List.of(), 1000,
        List.of());
  }

  @Test
  void reservedOptionKeyIsRefusedNamingItAndNothingIsQueued() {
    ApiException e = assertThrows(ApiException.class, () -> coordinator.submit(MEMBER, build("debian-12",
        Map.of("reproducibility", Map.of("pair", "p", "side", "B", "otherSide", "20260101-000001")))));
    assertEquals(ApiError.Code.BAD_REQUEST, e.error().code());
    assertTrue(e.error().problems().get(0).startsWith("options.reproducibility: a reserved key"), e::getMessage);
    assertTrue(e.getMessage().contains("the farm sets it on its own nightly and verify builds"), e::getMessage);
    assertEquals(List.of(), store.list(new BuildFilter(null, null, 10)));
  }

  @Test
  void otherOptionsAreKeptAndTheInternalPathRecordsAPairSide() throws Exception {
    String plain = coordinator.submit(MEMBER, build("debian-12", Map.of("note", "kept")));
    assertEquals("{\"note\":\"kept\"}", store.get(plain).orElseThrow().options());
    String sideA = coordinator.submitPairSide(MEMBER, build("debian-12", null), PairSide.sideA("p1"));
    assertEquals("A", PairSide.of(store.get(sideA).orElseThrow().options()).orElseThrow().side());
  }

  @Test
  void noCacheIsAClientOptionKeptWithTheBuildAndMustBeABoolean() throws Exception {
    String id = coordinator.submit(MEMBER, build("debian-12", Map.of("noCache", true)));
    assertTrue(org.bootfarm.coordinator.assignment.NoCacheOption.of(store.get(id).orElseThrow().options()));
    String cached = coordinator.submit(MEMBER, build("debian-12", null));
    assertFalse(org.bootfarm.coordinator.assignment.NoCacheOption.of(store.get(cached).orElseThrow().options()));
    ApiException e = assertThrows(ApiException.class, () -> coordinator.submit(MEMBER, build("debian-12",
        Map.of("noCache", "yes"))));
    assertTrue(e.error().problems().get(0).startsWith("options.noCache: 'yes' is not true or false"), e::getMessage);
  }

  @Test
  void submissionWithoutARequiredComponentIsRefusedNamingItAndHowToUploadIt() {
    ApiException e = assertThrows(ApiException.class, () -> coordinator.submit(MEMBER, new SubmitRequest(
        "debian-12", null, Map.of("tether", components.get("tether")), null, null)));
    assertEquals(List.of("components.unpack: required, not given (a bootstrap boots with tether, unpack); upload it"
        + " (bootfarm submit --component unpack=FILE, or PUT /api/v1/artifacts/SHA256) and name its sha256"),
        e.error().problems());
    assertEquals(List.of(), store.list(new BuildFilter(null, null, 10)));
  }

  @Test
  void submissionNamingAComponentItsTargetDoesNotTakeIsRefused() {
    Map<String, String> more = new java.util.TreeMap<>(components);
    more.put("vicadmin", components.get("tether"));
    ApiException e = assertThrows(ApiException.class, () -> coordinator.submit(MEMBER, new SubmitRequest(
        "debian-12", null, more, null, null)));
    assertEquals(List.of("components.vicadmin: not a component of a bootstrap, which takes tether, unpack; leave it"
        + " out"), e.error().problems());
  }

  @Test
  void moreThanSixteenBuildsNoWorkerCanRunDoNotStopAPlaceableBuildBehindThem() throws Exception {
    List<String> unplaceable = new ArrayList<>();
    for (int i = 0; i < 3 * PlacingPass.QUEUE_PAGE + 5; i++) {
      unplaceable.add(coordinator.submit(MEMBER, build("debian-12", null))); // apt: no live worker runs it
    }
    String photon = coordinator.submit(MEMBER, build("photon-2.0", null));
    coordinator.workerSeen(worker("tdnf-box", List.of("tdnf"), 1));
    List<BuildCoordinator.Assignment> placed = coordinator.assign(16);
    assertEquals(List.of(photon), placed.stream().map(a -> a.build().id()).toList());
    BuildRecord head = store.get(unplaceable.get(0)).orElseThrow();
    assertEquals(BuildState.QUEUED, head.state());
    assertTrue(head.placement().contains("no live worker runs apt"), head.placement());
    assertTrue(store.get(unplaceable.get(unplaceable.size() - 1)).orElseThrow().placement()
        .contains("no live worker runs apt"), "the pass read to the queue's end");
  }

  @Test
  void placeableBuildsKeepSubmissionOrderAcrossPages() throws Exception {
    List<String> photons = new ArrayList<>();
    for (int i = 0; i < PlacingPass.QUEUE_PAGE + 3; i++) {
      coordinator.submit(MEMBER, build("debian-12", null));
      photons.add(coordinator.submit(MEMBER, build("photon-2.0", null)));
    }
    coordinator.workerSeen(worker("tdnf-box", List.of("tdnf"), PlacingPass.QUEUE_PAGE + 3)); // a slot for each (ADR 0043)
    List<String> placed = coordinator.assign(PlacingPass.QUEUE_PAGE + 3).stream().map(a -> a.build().id()).toList();
    assertEquals(photons, placed);
  }

  @Test
  void sideBWhoseSideAIsMissingFailsAtOnceSayingSo() throws Exception {
    coordinator.workerSeen(worker("apt-1", List.of("apt"), 2));
    coordinator.workerSeen(worker("apt-2", List.of("apt"), 2));
    String sideB = coordinator.submitPairSide(MEMBER, build("debian-12", null), PairSide.sideB("p", "19990101-000001"));
    assertEquals(List.of(), coordinator.assign(16));
    BuildView failed = coordinator.get(sideB);
    assertEquals(BuildState.FAILED, failed.state());
    assertEquals("DETERMINISTIC", failed.errorKind());
    assertTrue(failed.error().contains("side A (build 19990101-000001) is not in the build store"), failed.error());
  }

  @Test
  void sideBWhoseSideAIsItselfASideBFailsAtOnce() throws Exception {
    coordinator.workerSeen(worker("apt-1", List.of("apt"), 2));
    coordinator.workerSeen(worker("apt-2", List.of("apt"), 2));
    String first = coordinator.submitPairSide(MEMBER, build("debian-12", null), PairSide.sideB("p", "19990101-000001"));
    String second = coordinator.submitPairSide(MEMBER, build("debian-12", null), PairSide.sideB("q", first));
    coordinator.assign(16);
    BuildView failed = coordinator.get(second);
    assertEquals(BuildState.FAILED, failed.state());
    assertTrue(failed.error().contains("is itself side B of a pair"), failed.error());
  }

  @Test
  void aWaitingBuildsUnchangedReasonIsNotWrittenAgain() throws Exception {
    String id = coordinator.submit(MEMBER, build("debian-12", null));
    coordinator.workerSeen(worker("tdnf-box", List.of("tdnf"), 1));
    coordinator.assign(16);
    BuildRecord first = store.get(id).orElseThrow();
    coordinator.assign(16);
    assertEquals(first, store.get(id).orElseThrow());
    assertFalse(first.placement().isEmpty());
  }
}
