package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.assignment.AssignmentFactory;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build builds the definition it was submitted with (docs/adr/0034): the coordinator against the real SQLite
 * store and artifact store, with a copy of the project's debian-12 in a temporary repos directory that the test
 * edits, removes and reloads between submission and placement.
 */
@Tag("unit")
class PinnedDefinitionsTest {
  private static final String MARKER_HOOK = "#!/bin/bash\ntouch \"$1/marker\"\n";

  @TempDir Path dir;
  Path definition;
  SqlBuildStore store;
  ArtifactStore artifacts;
  RepoCatalog catalog;
  BuildCoordinator coordinator;
  AssignmentFactory assignments;
  String tether;

  @BeforeEach
  void start() throws Exception {
    Path repos = Files.createDirectories(dir.resolve("repos"));
    definition = Files.createDirectories(repos.resolve("debian-12"));
    for (String file : List.of("init.sh", "repo-spec.json")) {
      Files.copy(ProjectTree.root().resolve("repos/debian-12").resolve(file), definition.resolve(file));
    }
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    catalog = RepoCatalog.read(repos, ProjectTree.sharedKeys());
    coordinator = new BuildCoordinator(store, artifacts, catalog, new RendezvousPlacement(), Clock.systemUTC(),
        Duration.ofSeconds(30));
    assignments = new AssignmentFactory(catalog, "http://127.0.0.1:1", new RecordedBuildInfos(artifacts),
        new PinnedDefinitions(artifacts));
    byte[] content = "tether stand-in".getBytes(StandardCharsets.UTF_8);
    tether = Sha256.of(content);
    artifacts.put(tether, new ByteArrayInputStream(content));
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  private String submit() throws ApiException {
    return coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap", Map.of("tether", tether, "unpack", tether), null,
        null));
  }

  private void aptWorker() {
    coordinator.workerSeen(new WorkerInfo("w1", "node-w1", "test", "x86_64", List.of("apt"), 4, 0, 100L << 30,
        List.of(), 1000, List.of()));
  }

  private Assignment assignmentOf(String buildId) throws Exception {
    for (BuildCoordinator.Assignment placed : coordinator.assign(16)) {
      if (placed.build().id().equals(buildId)) {
        return assignments.assignmentFor(placed);
      }
    }
    throw new AssertionError("build " + buildId + " was not placed: " + coordinator.get(buildId));
  }

  private static String text(Assignment assignment, String file) {
    String base64 = assignment.definitionFiles().get(file);
    return base64 == null ? null : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private void edit() throws IOException {
    Files.writeString(definition.resolve("base.sh"), MARKER_HOOK);
    List<String> changes = catalog.reload(false);
    assertEquals(1, changes.size(), changes::toString);
    assertTrue(changes.get(0).startsWith("repos: debian-12 changed"), changes::toString);
  }

  @Test
  void aBuildSubmittedWithNoCacheIsAssignedFromScratchAndOthersAreNot() throws Exception {
    String noCache = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap",
        Map.of("tether", tether, "unpack", tether), null, Map.of("noCache", true)));
    String plain = submit();
    aptWorker();
    List<BuildCoordinator.Assignment> placed = coordinator.assign(16);
    for (BuildCoordinator.Assignment p : placed) {
      Assignment assignment = assignments.assignmentFor(p);
      assertEquals(p.build().id().equals(noCache), assignment.mustBuildFromScratch(), assignment::toString);
    }
    assertEquals(java.util.Set.of(noCache, plain), placed.stream().map(p -> p.build().id())
        .collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void submissionStoresTheDefinitionUnderItsDigestAndRecordsIt() throws Exception {
    String digest = RepoDefinitionLoader.digest(definition);
    BuildView build = coordinator.get(submit());
    assertEquals(digest, build.definitionDigest());
    assertTrue(artifacts.exists(digest));
    assertEquals(digest, Sha256.of(artifacts.file(digest)));
    RepoInfo repo = coordinator.repos().get(0);
    assertEquals(digest, repo.digest(), "bootfarm repos shows the digest builds are pinned to now");
  }

  @Test
  void buildEditedAfterSubmitBuildsTheSubmittedBytesAndALaterOneTheNew() throws Exception {
    String before = RepoDefinitionLoader.digest(definition);
    String first = submit();
    edit();
    String after = RepoDefinitionLoader.digest(definition);
    assertNotEquals(before, after);
    String second = submit();
    aptWorker();
    List<BuildCoordinator.Assignment> placed = coordinator.assign(16);
    assertEquals(2, placed.size(), placed::toString);
    Assignment firstAssignment = assignments.assignmentFor(placed.get(0));
    Assignment secondAssignment = assignments.assignmentFor(placed.get(1));
    assertEquals(first, firstAssignment.buildId());
    assertEquals(before, firstAssignment.definitionDigest());
    assertEquals(null, text(firstAssignment, "base.sh"), "the first build's definition had no base.sh");
    assertEquals(second, secondAssignment.buildId());
    assertEquals(after, secondAssignment.definitionDigest());
    assertEquals(MARKER_HOOK, text(secondAssignment, "base.sh"));
    assertEquals(Files.readString(definition.resolve("init.sh")), text(firstAssignment, "init.sh"));
  }

  @Test
  void retryOfAPinnedBuildStillBuildsTheSubmittedBytes() throws Exception {
    String before = RepoDefinitionLoader.digest(definition);
    String id = submit();
    aptWorker();
    assertEquals(before, assignmentOf(id).definitionDigest());
    edit();
    // the worker's run failed transiently: the build is queued again behind a backoff
    coordinator.report(new BuildReport(id, "w1", 0, BuildState.FAILED, List.of(), List.of(), "mirror unreachable",
        null, false, null));
    BuildView requeued = coordinator.get(id);
    assertEquals(BuildState.QUEUED, requeued.state(), requeued::toString);
    assertEquals(before, requeued.definitionDigest());
  }

  @Test
  void pinnedBuildIsPlacedEvenWhenItsDirectoryIsGone() throws Exception {
    String digest = RepoDefinitionLoader.digest(definition);
    String id = submit();
    for (String file : List.of("init.sh", "repo-spec.json")) {
      Files.delete(definition.resolve(file));
    }
    Files.delete(definition);
    assertEquals(1, catalog.reload(false).size());
    assertTrue(catalog.find("debian-12").isEmpty());
    aptWorker();
    Assignment assignment = assignmentOf(id);
    assertEquals(digest, assignment.definitionDigest());
    assertTrue(text(assignment, "repo-spec.json").contains("\"apt\""));
  }

  @Test
  void pinnedBuildWhoseStoredDefinitionIsGoneFailsNamingItAndWhatToDo() throws Exception {
    String digest = RepoDefinitionLoader.digest(definition);
    String id = submit();
    edit();
    assertTrue(artifacts.delete(digest));
    aptWorker();
    assertTrue(coordinator.assign(16).isEmpty());
    BuildView failed = coordinator.get(id);
    assertEquals(BuildState.FAILED, failed.state(), failed::toString);
    assertTrue(failed.error().contains("pinned to definition debian-12 " + digest), failed.error());
    assertTrue(failed.error().contains("submit it again"), failed.error());
  }

  @Test
  void buildWhoseComponentIsGoneBeforePlacementFailsNamingItAndWhatToDo() throws Exception {
    String id = submit();
    assertTrue(artifacts.delete(tether));
    aptWorker();
    assertTrue(coordinator.assign(16).isEmpty(), "no worker is leased a build it cannot download");
    BuildView failed = coordinator.get(id);
    assertEquals(BuildState.FAILED, failed.state(), failed::toString);
    assertTrue(failed.error().contains("component tether (sha256 " + tether + ")"), failed.error());
    assertTrue(failed.error().contains("bootfarm submit --component NAME=FILE"), failed.error());
    assertEquals(0, failed.attempts(), "no run was spent on it");
  }

  @Test
  void damagedStoredDefinitionIsNotUsed() throws Exception {
    String digest = RepoDefinitionLoader.digest(definition);
    String id = submit();
    aptWorker();
    List<BuildCoordinator.Assignment> placed = coordinator.assign(16);
    Path object = artifacts.file(digest);
    object.toFile().setWritable(true);
    Files.writeString(object, "file\0init.sh\0" + "2\0hi");
    PinnedDefinitions.MissingDefinitionException e = assertThrows(PinnedDefinitions.MissingDefinitionException.class,
        () -> assignments.assignmentFor(placed.get(0)));
    assertTrue(e.getMessage().contains("is damaged and not used"), e.getMessage());
    coordinator.failUnassignable(id, e.getMessage());
    assertEquals(BuildState.FAILED, coordinator.get(id).state());
  }

  @Test
  void retentionKeepsTheDefinitionOfUnfinishedBuilds() throws Exception {
    String digest = RepoDefinitionLoader.digest(definition);
    String id = submit();
    assertTrue(store.retainedHashes(0).contains(digest));
    coordinator.cancel(MEMBER, id);
    assertFalse(store.retainedHashes(0).contains(digest), "a cancelled build beyond retention keeps nothing");
  }
}
