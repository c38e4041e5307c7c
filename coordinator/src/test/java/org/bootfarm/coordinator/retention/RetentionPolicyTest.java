package org.bootfarm.coordinator.retention;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.Set;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.SubmitResults;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention over the real SQLite build store and a real artifact store in a temp dir (collecting
 * objects of any age): what the last N successful builds, unfinished builds and pins name stays,
 * the rest goes.
 */
@Tag("unit")
class RetentionPolicyTest {
  @TempDir Path dir;
  SqlBuildStore builds;
  ArtifactStore artifacts;
  RetentionPolicy retention;
  BuildPins pins;
  final List<String> logged = new ArrayList<>();
  int builtSoFar;

  @BeforeEach
  void open() throws Exception {
    builds = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults()
        .withCollectMinAge(Duration.ZERO));
    retention = new RetentionPolicy(builds, artifacts, 10, logged::add);
    pins = new BuildPins(builds, artifacts);
  }

  @AfterEach
  void close() throws Exception {
    builds.close();
    artifacts.close();
  }

  /** Stores the text as an artifact and returns its sha256. */
  String stored(String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return artifacts.put(Sha256.of(bytes), new ByteArrayInputStream(bytes)).sha256();
  }

  ArtifactRecord artifact(String name, String text) throws Exception {
    String sha = stored(text);
    return new ArtifactRecord(name, sha, artifacts.size(sha));
  }

  String queued(String repo, Map<String, String> components) {
    String id = builds.nextId();
    builds.insert(BuildRecord.queued(id, repo, "bootstrap", components, BuildPriority.INTERACTIVE, "{}",
        Instant.now()));
    return id;
  }

  String running(String repo, Map<String, String> components) {
    String id = queued(repo, components);
    builds.claim(id, "w1", Instant.now().plusSeconds(600), "test").orElseThrow();
    return id;
  }

  /** A SUCCEEDED build of the repo with these artifacts. */
  String succeeded(String repo, ArtifactRecord... outputs) {
    String id = running(repo, Map.of());
    builds.finish(id, "w1", BuildOutcome.succeeded(List.of(outputs))).orElseThrow();
    builtSoFar++;
    return id;
  }

  /** A SUCCEEDED build of the repo with an ISO only it has. */
  ArtifactRecord succeededWithUniqueIso(String repo) throws Exception {
    ArtifactRecord iso = artifact("bootstrap-" + repo + ".iso", repo + " iso number " + builtSoFar);
    succeeded(repo, iso);
    return iso;
  }

  @Test
  void eleventhSuccessfulBuildOfARepoCollectsTheFirstOnesUniqueArtifacts() throws Exception {
    ArtifactRecord otherRepo = succeededWithUniqueIso("photon-2.0");
    List<ArtifactRecord> isos = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      isos.add(succeededWithUniqueIso("debian-12"));
    }
    assertEquals(new ArtifactStore.Collected(0, 0), retention.collect(), "ten builds are within retention");
    isos.add(succeededWithUniqueIso("debian-12"));

    ArtifactStore.Collected freed = retention.collect();

    assertEquals(new ArtifactStore.Collected(1, isos.get(0).size()), freed);
    assertFalse(artifacts.exists(isos.get(0).sha256()), "the first build's ISO is beyond the last 10");
    for (ArtifactRecord kept : isos.subList(1, 11)) {
      assertTrue(artifacts.exists(kept.sha256()), kept.name());
    }
    assertTrue(artifacts.exists(otherRepo.sha256()), "retention counts per repo: photon's only build stays");
    assertTrue(logged.get(logged.size() - 1).startsWith("retention: freed 1 artifact(s), " + isos.get(0).size()
        + " bytes"), logged::toString);
  }

  @Test
  void logsOfKeptBuildsAndOfRecentFailuresStayAndOlderOnesGo() throws Exception {
    List<String> successLogs = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      String log = stored("log of successful build " + i);
      String id = running("debian-12", Map.of());
      builds.finish(id, "w1", BuildOutcome.succeeded(List.of(artifact("b.iso", "iso " + i)), log)).orElseThrow();
      successLogs.add(log);
    }
    List<String> failureLogs = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      String log = stored("log of failed build " + i);
      String id = running("debian-12", Map.of());
      builds.finish(id, "w1", BuildOutcome.failed("base.sh exited 1", ErrorKind.DETERMINISTIC, List.of(), log))
          .orElseThrow();
      failureLogs.add(log);
    }

    retention.collect();

    assertFalse(artifacts.exists(successLogs.get(0)), "the log of a build beyond retention goes with it");
    assertFalse(artifacts.exists(failureLogs.get(0)), "the 11th most recent failure's log goes");
    for (int i = 1; i < 11; i++) {
      assertTrue(artifacts.exists(successLogs.get(i)), "kept build's log " + i);
      assertTrue(artifacts.exists(failureLogs.get(i)), "recent failure's log " + i);
    }
  }

  @Test
  void pinnedOldBuildKeepsItsArtifactsUntilUnpinned() throws Exception {
    ArtifactRecord first = artifact("bootstrap.iso", "the release ISO");
    String release = succeeded("debian-12", first);
    assertTrue(pins.pin(release, "release 1.4").pinned());
    assertEquals("build " + release + ": release 1.4", artifacts.pinReason(first.sha256()).orElseThrow());
    for (int i = 0; i < 11; i++) {
      succeededWithUniqueIso("debian-12");
    }

    retention.collect();
    assertTrue(artifacts.exists(first.sha256()), "a pinned build's artifacts outlive retention");

    assertFalse(pins.unpin(release).pinned());
    assertTrue(artifacts.pinReason(first.sha256()).isEmpty());
    retention.collect();
    assertFalse(artifacts.exists(first.sha256()), "once unpinned, the old build's ISO is collected");
  }

  @Test
  void componentsOfQueuedAndRunningBuildsStay() throws Exception {
    String waiting = stored("tether of a queued build");
    String fetched = stored("unpack of a running build");
    String orphan = stored("a component no build names");
    queued("debian-12", Map.of("tether", waiting));
    running("debian-12", Map.of("unpack", fetched));

    assertEquals(1, retention.collect().objects());

    assertTrue(artifacts.exists(waiting));
    assertTrue(artifacts.exists(fetched));
    assertFalse(artifacts.exists(orphan));
  }

  @Test
  void componentsOfAFinishedBuildBeyondRetentionGo() throws Exception {
    String tether = stored("tether of an old build");
    String old = running("debian-12", Map.of("tether", tether));
    builds.finish(old, "w1", BuildOutcome.succeeded(List.of())).orElseThrow();
    retention.collect();
    assertTrue(artifacts.exists(tether), "the build is among the last 10: its components stay");
    for (int i = 0; i < 10; i++) {
      succeededWithUniqueIso("debian-12");
    }
    retention.collect();
    assertFalse(artifacts.exists(tether));
  }

  @Test
  void artifactSharedWithAKeptBuildStays() throws Exception {
    ArtifactRecord shared = artifact("buildinfo.json", "same inputs, same bytes");
    ArtifactRecord onlyFirst = artifact("bootstrap.iso", "first ISO");
    succeeded("debian-12", onlyFirst, shared);
    for (int i = 0; i < 9; i++) {
      succeededWithUniqueIso("debian-12");
    }
    succeeded("debian-12", artifact("bootstrap.iso", "eleventh ISO"), shared);

    retention.collect();

    assertFalse(artifacts.exists(onlyFirst.sha256()));
    assertTrue(artifacts.exists(shared.sha256()), "the 11th build names the same buildinfo");
  }

  /** Reopens the store with its default minimum age (1 h) and stores {@code contents}, each aged two hours. */
  private List<String> uploadedTwoHoursAgo(String... contents) throws Exception {
    artifacts.close();
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    List<String> ids = new java.util.ArrayList<>();
    for (String content : contents) {
      String id = stored(content);
      Files.setLastModifiedTime(artifacts.file(id), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
      ids.add(id);
    }
    return ids;
  }

  private BuildCoordinator coordinator() throws Exception {
    return new BuildCoordinator(builds, artifacts,
        RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()), new RendezvousPlacement(),
        Clock.systemUTC(), Duration.ofSeconds(10));
  }

  @Test
  void componentOfASubmissionSurvivesACollectionThatReadItsLiveSetBefore() throws Exception {
    List<String> uploads = uploadedTwoHoursAgo("a tether uploaded long ago", "an upload nobody names");
    String tether = uploads.get(0);
    String forgotten = uploads.get(1);
    BuildCoordinator coordinator = coordinator();
    Set<String> liveBeforeTheSubmission = new RetentionPolicy(builds, artifacts, 10, logged::add).liveSet();

    coordinator.submit(MEMBER, new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether), null, null));
    artifacts.collect(liveBeforeTheSubmission);

    assertTrue(artifacts.exists(tether), "the submission restarted its component's age");
    assertFalse(artifacts.exists(forgotten));
    assertTrue(new RetentionPolicy(builds, artifacts, 10, logged::add).liveSet().contains(tether));
  }

  @Test
  void componentsOfABatchOfSubmissionsSurviveACollectionThatReadItsLiveSetBefore() throws Exception {
    List<String> uploads = uploadedTwoHoursAgo("a tether uploaded long ago, named by a whole batch",
        "an unpack uploaded long ago, named by the batch's last submission");
    String tether = uploads.get(0);
    String unpack = uploads.get(1);
    BuildCoordinator coordinator = coordinator();
    Set<String> liveBeforeTheSubmissions = new RetentionPolicy(builds, artifacts, 10, logged::add).liveSet();

    // each object is touched once per batch (ADR 0056): the first submission resets the tether's age, the last the
    // unpack's; a refused one between them changes nothing
    List<SubmitResults.Result> results = coordinator.submitEach(MEMBER, List.of(
        new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether), null, null),
        new SubmitRequest("nosuch-4", null, Map.of("tether", tether, "unpack", tether), null, null),
        new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", tether), null, null),
        new SubmitRequest("debian-12", null, Map.of("tether", tether, "unpack", unpack), null, null)));
    assertEquals(List.of(true, false, true, true), results.stream().map(r -> r.id() != null).toList());
    artifacts.collect(liveBeforeTheSubmissions);

    assertTrue(artifacts.exists(tether), "the batch restarted its component's age");
    assertTrue(artifacts.exists(unpack), "the batch's last submission restarted its own component's age");
    assertTrue(new RetentionPolicy(builds, artifacts, 10, logged::add).liveSet().containsAll(List.of(tether, unpack)));
  }

  @Test
  void unfinishedOrUnknownBuildCannotBePinned() throws Exception {
    String running = running("debian-12", Map.of());
    ApiException notYet = assertThrows(ApiException.class, () -> pins.pin(running, "keep"));
    assertEquals(ApiError.Code.CONFLICT, notYet.error().code());
    assertEquals(ApiError.Code.NOT_FOUND,
        assertThrows(ApiException.class, () -> pins.pin(builds.nextId(), "keep")).error().code());
    String done = succeeded("debian-12");
    assertEquals(ApiError.Code.BAD_REQUEST,
        assertThrows(ApiException.class, () -> pins.pin(done, " ")).error().code());
    assertFalse(builds.get(done).orElseThrow().pinned());
  }

  @Test
  void aBuildNamingAMalformedOrMissingArtifactIsLoggedAndSkippedAndTheCollectionGoesOn() throws Exception {
    // records written before reports were checked (ADR 0040): a buildinfo that is no sha256, one the store lacks
    String bad = succeeded("debian-12", new ArtifactRecord("buildinfo.json", "not-a-sha256", 10));
    succeeded("debian-12", new ArtifactRecord("buildinfo.json", "ef".repeat(32), 10));
    ArtifactRecord kept = succeededWithUniqueIso("photon-2.0");
    String orphan = stored("nobody names this");
    ArtifactStore.Collected freed = retention.collect();
    assertEquals(1, freed.objects(), "the pass went on past the bad entries and collected the orphan");
    assertFalse(artifacts.exists(orphan));
    assertTrue(artifacts.exists(kept.sha256()));
    assertTrue(logged.stream().anyMatch(line -> line.contains("build " + bad) && line.contains("not-a-sha256")),
        logged::toString);
    assertTrue(logged.stream().anyMatch(line -> line.contains("'not-a-sha256'") && line.contains("skipped")),
        logged::toString);
    assertEquals(0, retention.collect().objects(), "and the next pass runs as well");
  }
}
