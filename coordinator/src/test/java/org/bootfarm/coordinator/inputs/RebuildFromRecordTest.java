package org.bootfarm.coordinator.inputs;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.retention.RetentionPolicy;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.CollectionReport;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebuilding from a record and keeping what it needs, against the real SQLite build store, a real artifact
 * store (collecting objects of any age) and the project's repos/: a rebuild is recorded only while the store
 * holds every package, component and definition the original's buildinfo pins, and is refused naming what
 * is gone otherwise; retention keeps the inputs of kept builds and of builds a queued rebuild installs from.
 */
@Tag("unit")
class RebuildFromRecordTest {
  @TempDir Path dir;
  SqlBuildStore store;
  ArtifactStore artifacts;
  RepoCatalog repos;
  BuildCoordinator coordinator;
  final List<String> logged = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults()
        .withCollectMinAge(Duration.ZERO));
    repos = RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys());
    coordinator = new BuildCoordinator(store, artifacts, repos, new RendezvousPlacement(), Clock.systemUTC(),
        Duration.ofSeconds(10));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  String stored(String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return artifacts.put(Sha256.of(bytes), new ByteArrayInputStream(bytes)).sha256();
  }

  /** {@code count} archived packages, each in the store. */
  List<LockedPackage> packages(String prefix, int count) throws Exception {
    List<LockedPackage> packages = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      packages.add(new LockedPackage(prefix + String.format("%02d", i), "1.0-" + i, "x86_64", stored("package " + prefix + i), 1000 + i));
    }
    return packages;
  }

  /** The catalogue's current digest of debian-12: what its builds record when their definition was not pinned. */
  String debianDigest() {
    return RepoDefinitionLoader.digest(repos.find("debian-12").orElseThrow().definition().orElseThrow().directory());
  }

  /** A SUCCEEDED debian-12 build whose buildinfo locks {@code lock} and names {@code components}. */
  String succeeded(List<LockedPackage> lock, Map<String, String> components) throws Exception {
    return succeeded(new Lock("apt", lock), components);
  }

  /** A SUCCEEDED debian-12 build whose buildinfo locks {@code lock} and names {@code components}. */
  String succeeded(Lock lock, Map<String, String> components) throws Exception {
    return succeeded(lock, components, "{}");
  }

  /** The same, submitted with {@code options}. */
  String succeeded(Lock lock, Map<String, String> components, String options) throws Exception {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "debian-12", "bootstrap", components, BuildPriority.INTERACTIVE, options,
        Instant.now(), List.of(), "alice"));
    store.claim(id, "w1", Instant.now().plusSeconds(600), "test").orElseThrow();
    BuildInfo info = new BuildInfo(BuildInfo.FORMAT, "test", "debian-12", "bootstrap", debianDigest(), 1700000000L,
        new TreeMap<>(components), new TreeMap<>(), lock, new LinkedHashMap<>(),
        new TreeMap<>(), List.of());
    String buildinfo = stored(WireJson.write(info));
    String iso = stored("iso of " + id);
    store.finish(id, "w1", BuildOutcome.succeeded(List.of(
        new ArtifactRecord(BuildInfo.FILE_NAME, buildinfo, artifacts.size(buildinfo)),
        new ArtifactRecord("bootstrap.iso", iso, artifacts.size(iso))))).orElseThrow();
    return id;
  }

  @Test
  void aRebuildIsRecordedQueuedWithTheOriginalsRepoComponentsAndBuildinfo() throws Exception {
    String tether = stored("tether");
    String original = succeeded(packages("p", 3), Map.of("tether", tether));

    BuildView rebuild = coordinator.rebuild(MEMBER, original);

    assertEquals(BuildState.QUEUED, rebuild.state());
    assertEquals(original, rebuild.rebuildOf());
    assertEquals("debian-12", rebuild.repo());
    assertEquals(Map.of("tether", tether), rebuild.components());
    BuildRecord record = store.get(rebuild.id()).orElseThrow();
    assertEquals(RecordedBuildInfos.buildinfoOf(store.get(original).orElseThrow()).orElseThrow(),
        record.pinnedBuildinfo());
    assertEquals(MEMBER.credential(), record.submittedBy());
  }

  @Test
  void aRebuildOfAPairsSideBIsABuildOfItsOwnNotThatSideAgain() throws Exception {
    String sideB = succeeded(new Lock("apt", packages("p", 1)), Map.of(), "{\"note\":\"kept\",\"reproducibility\":"
        + "{\"pair\":\"p1\",\"side\":\"B\",\"otherSide\":\"01SIDEA\"}}");
    BuildView rebuild = coordinator.rebuild(MEMBER, sideB);
    assertEquals("{\"note\":\"kept\"}", store.get(rebuild.id()).orElseThrow().options());
  }

  @Test
  void aBuildWhoseInputsWereCollectedIsRefusedNamingTheFirstTenMissingPackagesAndHowToPin() throws Exception {
    List<LockedPackage> lock = packages("lib", 12);
    String original = succeeded(lock, Map.of());
    for (LockedPackage p : lock) {
      artifacts.delete(p.sha256());
    }

    ApiException refused = assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, original));

    assertEquals(ApiError.Code.CONFLICT, refused.error().code());
    String message = refused.getMessage();
    assertTrue(message.contains("12 of its 12 archived package(s) are no longer in the artifact store"), message);
    assertTrue(message.contains("lib00-1.0-0.x86_64 (sha256 " + lock.get(0).sha256() + ")"), message);
    assertTrue(message.contains("lib09-1.0-9.x86_64"), message);
    assertFalse(message.contains("lib10-1.0-10.x86_64"), "only the first ten are named: " + message);
    assertTrue(message.contains("and 2 more"), message);
    assertTrue(message.contains("bootfarm pin ID") && message.contains("--keep-builds"), message);
    assertEquals(1, coordinator.list(new BuildQuery(null, null, null)).size(), "nothing was recorded");
  }

  @Test
  void aMissingComponentOrAnUnfinishedOriginalIsRefusedAndNothingIsRecorded() throws Exception {
    String tether = stored("tether of a build");
    String original = succeeded(packages("p", 1), Map.of("tether", tether));
    artifacts.delete(tether);
    ApiException component = assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, original));
    assertTrue(component.getMessage().contains("component tether (sha256 " + tether + ")"), component.getMessage());

    String queued = store.nextId();
    store.insert(BuildRecord.queued(queued, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()));
    ApiException unfinished = assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, queued));
    assertTrue(unfinished.getMessage().contains("it is QUEUED; only a SUCCEEDED build"), unfinished.getMessage());
    assertEquals(ApiError.Code.NOT_FOUND, assertThrows(ApiException.class,
        () -> coordinator.rebuild(MEMBER, "999999")).error().code());
    assertEquals(2, coordinator.list(new BuildQuery(null, null, null)).size(), "nothing was recorded");
  }

  @Test
  void aBuildWithoutBuildinfoOrWhosePinnedDefinitionIsGoneIsRefused() throws Exception {
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()));
    store.claim(id, "w1", Instant.now().plusSeconds(600), "test").orElseThrow();
    store.finish(id, "w1", BuildOutcome.succeeded(List.of())).orElseThrow();
    assertTrue(assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, id)).getMessage()
        .contains("published no buildinfo.json"));

    String pinned = store.nextId();
    String gone = "d".repeat(64);
    store.insert(BuildRecord.queued(pinned, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()).withDefinition(gone));
    store.claim(pinned, "w1", Instant.now().plusSeconds(600), "test").orElseThrow();
    String buildinfo = stored(WireJson.write(new BuildInfo(BuildInfo.FORMAT, "test", "debian-12", "bootstrap", gone,
        1L, new TreeMap<>(), new TreeMap<>(), new Lock("apt", List.of()), new LinkedHashMap<>(), new TreeMap<>(),
        List.of())));
    store.finish(pinned, "w1", BuildOutcome.succeeded(List.of(new ArtifactRecord(BuildInfo.FILE_NAME, buildinfo,
        artifacts.size(buildinfo))))).orElseThrow();
    String message = assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, pinned)).getMessage();
    assertTrue(message.contains("the definition archive of debian-12 (digest " + gone + ")"), message);
  }

  @Test
  void retentionKeepsTheInputsOfKeptAndRebuiltBuildsAndCollectsTheRest() throws Exception {
    RetentionPolicy retention = new RetentionPolicy(store, artifacts, 1, logged::add);
    List<LockedPackage> shared = packages("shared", 1);
    List<LockedPackage> oldOnly = packages("old", 2);
    List<LockedPackage> oldLock = new ArrayList<>(shared);
    oldLock.addAll(oldOnly);
    String old = succeeded(oldLock, Map.of());
    List<LockedPackage> newLock = new ArrayList<>(shared);
    newLock.addAll(packages("new", 1));
    succeeded(newLock, Map.of());

    CollectionReport dryRun = retention.collectNow(true);
    assertEquals(2, dryRun.freedInputs(), "the old build's own two packages would go: " + dryRun);
    assertTrue(oldOnly.stream().allMatch(p -> artifacts.exists(p.sha256())), "a dry run deletes nothing");

    BuildView rebuild = coordinator.rebuild(MEMBER, old);
    CollectionReport whileQueued = retention.collectNow(false);
    assertEquals(0, whileQueued.freedInputs(), whileQueued.describe());
    assertTrue(oldOnly.stream().allMatch(p -> artifacts.exists(p.sha256())),
        "a queued rebuild keeps the inputs of the build it rebuilds");

    store.cancel(rebuild.id()).orElseThrow();
    CollectionReport after = retention.collectNow(false);

    assertEquals(2, after.freedInputs(), after.describe());
    assertFalse(oldOnly.stream().anyMatch(p -> artifacts.exists(p.sha256())), "the old build's inputs went");
    assertTrue(newLock.stream().allMatch(p -> artifacts.exists(p.sha256())),
        "the kept build's inputs stay, the one it shares with the old build too");
    assertEquals(2, after.keptInputs(), after.describe());
    assertTrue(logged.get(logged.size() - 1).contains("(2 of them archived inputs)"), logged::toString);
    ApiException refused = assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, old));
    assertTrue(refused.getMessage().contains(oldOnly.get(0).describe()), refused.getMessage());
  }

  @Test
  void packagesTheStagingRemovedAreInputsRetentionKeepsAndARebuildNeeds() throws Exception {
    List<LockedPackage> installed = packages("kept", 2);
    List<LockedPackage> removed = packages("toybox", 1);
    String original = succeeded(new Lock("apt", installed, removed), Map.of());
    new RetentionPolicy(store, artifacts, 10, logged::add).collectNow(true);
    assertTrue(store.retainedHashes(10).contains(removed.get(0).sha256()), "a removed package is an input too");
    assertTrue(artifacts.exists(removed.get(0).sha256()), "and is not collected");

    artifacts.delete(removed.get(0).sha256());
    ApiException refused = assertThrows(ApiException.class, () -> coordinator.rebuild(MEMBER, original));
    assertEquals(ApiError.Code.CONFLICT, refused.error().code());
    assertTrue(refused.getMessage().contains("1 of its 3 archived package(s) are no longer in the artifact store: "
        + removed.get(0).describe()), refused::getMessage);
  }

  @Test
  void aSuccessReportedToTheCoordinatorRecordsItsInputsAtOnce() throws Exception {
    List<LockedPackage> lock = packages("p", 2);
    String id = store.nextId();
    store.insert(BuildRecord.queued(id, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now()));
    store.claim(id, "w1", Instant.now().plusSeconds(600), "test").orElseThrow();
    String buildinfo = stored(WireJson.write(new BuildInfo(BuildInfo.FORMAT, "test", "debian-12", "bootstrap",
        debianDigest(), 1L, new TreeMap<>(), new TreeMap<>(), new Lock("apt", lock), new LinkedHashMap<>(),
        new TreeMap<>(), List.of())));

    coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, List.of(new ArtifactRecord(
        BuildInfo.FILE_NAME, buildinfo, artifacts.size(buildinfo))), List.of(), null, null, false, null));

    assertEquals(BuildState.SUCCEEDED, coordinator.get(id).state());
    assertEquals(List.of(), store.withoutInputs(), "indexed when it succeeded");
    assertTrue(store.retainedHashes(10).containsAll(lock.stream().map(LockedPackage::sha256).toList()));
  }

  @Test
  void buildsFinishedWithoutTheCoordinatorAreIndexedBeforeACollection() throws Exception {
    List<LockedPackage> lock = packages("p", 2);
    String original = succeeded(lock, Map.of());
    assertEquals(1, store.withoutInputs().size(), "finished directly in the store (a standby's copy): not indexed");

    new RetentionPolicy(store, artifacts, 10, logged::add).collectNow(true);

    assertEquals(List.of(), store.withoutInputs());
    assertTrue(store.retainedHashes(10).containsAll(lock.stream().map(LockedPackage::sha256).toList()),
        "inputs of build " + original + " are retained");
  }
}
