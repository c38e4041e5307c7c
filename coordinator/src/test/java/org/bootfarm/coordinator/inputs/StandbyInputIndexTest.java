package org.bootfarm.coordinator.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.bootfarm.coordinator.queue.StoreTerm;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.testkit.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the shared PostgreSQL store only the active coordinator indexes a build's inputs: a standby's catch-up before
 * its own collection stops at its first fenced write and reports no problem (it used to report one per build on
 * every retention pass), and the active coordinator's catch-up records them.
 */
@Tag("unit")
class StandbyInputIndexTest {
  private final Clock clock = Clock.systemUTC();
  @TempDir Path dir;
  private StoreDatabase activeDatabase;
  private StoreDatabase standbyDatabase;
  private SqlBuildStore active;
  private SqlBuildStore standby;
  private StoreTerm term;
  private ArtifactStore artifacts;

  @BeforeEach
  void open() throws Exception {
    PostgresServer server = PostgresServer.shared();
    String name = server.createDatabase();
    activeDatabase = StoreDatabase.postgresql(server.storeUrl(name), null);
    standbyDatabase = StoreDatabase.postgresql(server.storeUrl(name), null);
    active = SqlBuildStore.open(activeDatabase, clock);
    standby = SqlBuildStore.open(standbyDatabase, clock);
    term = StoreTerm.tryBegin(activeDatabase, "coordinator-a", clock).orElseThrow();
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
  }

  @AfterEach
  void close() throws Exception {
    term.close();
    active.close();
    standby.close();
    artifacts.close();
  }

  private String stored(String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return artifacts.put(Sha256.of(bytes), new ByteArrayInputStream(bytes)).sha256();
  }

  @Test
  void aStandbyLeavesIndexingToTheActiveCoordinatorWithoutReportingProblems() throws Exception {
    LockedPackage pkg = new LockedPackage("busybox", "1.0-1", "x86_64", stored("package busybox"), 1000);
    String id = active.nextId();
    active.insert(BuildRecord.queued(id, "debian-12", "bootstrap", Map.of(), BuildPriority.INTERACTIVE, "{}",
        Instant.now(), List.of(), "alice"));
    active.claim(id, "w1", Instant.now().plusSeconds(600), "test").orElseThrow();
    String buildinfo = stored(WireJson.write(new BuildInfo(BuildInfo.FORMAT, "test", "debian-12", "bootstrap",
        "ab".repeat(32), 1700000000L, new TreeMap<>(), new TreeMap<>(), new Lock("apt", List.of(pkg)),
        new LinkedHashMap<>(), new TreeMap<>(), List.of())));
    active.finish(id, "w1", BuildOutcome.succeeded(List.of(
        new ArtifactRecord(BuildInfo.FILE_NAME, buildinfo, artifacts.size(buildinfo))))).orElseThrow();

    RecordedBuildInfos buildInfos = new RecordedBuildInfos(artifacts);
    assertEquals(List.of(), new BuildInputIndex(standby, buildInfos).catchUp(), "a standby has nothing to report");
    assertEquals(1, standby.withoutInputs().size(), "and wrote nothing");

    assertEquals(List.of(), new BuildInputIndex(active, buildInfos).catchUp());
    assertEquals(List.of(), standby.withoutInputs(), "the active coordinator indexed it; the standby reads that");
  }
}
