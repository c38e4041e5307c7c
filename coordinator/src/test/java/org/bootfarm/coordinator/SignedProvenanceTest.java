package org.bootfarm.coordinator;

import static org.bootfarm.coordinator.access.CallerHeader.MEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.provenance.ProvenanceStatement;
import org.bootfarm.coordinator.provenance.ProvenanceWriter;
import org.bootfarm.coordinator.provenance.SigningKeys;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.protocol.provenance.ProvenanceVerifier;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator signs the provenance of each success it records, from what it checked (ADR 0044): the statement
 * verifies with the farm key and names the build record's repo, target, definition, components and start, the
 * buildinfo's SOURCE_DATE_EPOCH and packages, the log; a worker cannot report a provenance of its own, a report
 * the store refuses gets nothing signed, and a buildinfo that contradicts the record gets no statement.
 */
@Tag("unit")
class SignedProvenanceTest {
  @TempDir Path dir;
  SqlBuildStore store;
  ArtifactStore artifacts;
  BuildCoordinator coordinator;
  SigningKeys keys;
  final SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));
  String tether;

  @BeforeEach
  void start() throws Exception {
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), clock);
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    coordinator = new BuildCoordinator(store, artifacts, RepoCatalog.read(ProjectTree.root().resolve("repos"),
        ProjectTree.sharedKeys()), new RendezvousPlacement(), clock,
        new LeasePolicy(Duration.ofSeconds(10), Duration.ofSeconds(1)), RetryPolicy.DEFAULT, BuildStateListener.NONE,
        "photon-2.0");
    keys = SigningKeys.open(dir.resolve("data"), null);
    coordinator.signProvenanceWith(new ProvenanceWriter(keys, store, artifacts,
        new ProvenanceStatement.Builder("https://farm.example:8080", "1.2.3")));
    tether = put("tether stand-in");
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    artifacts.close();
  }

  private String put(String text) throws Exception {
    byte[] content = text.getBytes(StandardCharsets.UTF_8);
    String sha256 = Sha256.of(content);
    artifacts.put(sha256, new ByteArrayInputStream(content));
    return sha256;
  }

  private ArtifactRecord artifact(String name, String text) throws Exception {
    return new ArtifactRecord(name, put(text), text.getBytes(StandardCharsets.UTF_8).length);
  }

  private String runningOnW1() throws Exception {
    String id = coordinator.submit(MEMBER, new SubmitRequest("debian-12", "bootstrap",
        Map.of("tether", tether, "unpack", tether), Priority.INTERACTIVE, null));
    coordinator.workerSeen(new WorkerInfo("w1", "node-w1", "test", "x86_64", List.of("apt"), 1, 0, 100L << 30,
        List.of(), 1000, List.of()));
    assertEquals(id, coordinator.assign(1).get(0).build().id());
    return id;
  }

  /** A buildinfo of {@code build} as a worker writes it, installing one package from the mirror. */
  private ArtifactRecord buildinfo(BuildRecord build, String repo) throws Exception {
    LockedPackage busybox = new LockedPackage("busybox", "1:1.35.0-4+b3", "amd64", "cd".repeat(32), 1700000000L,
        new PackageOrigin("bookworm/main", "http://deb.debian.org/debian/pool/main/b/busybox/busybox_1.35.0-4+b3.deb"));
    BuildInfo info = new BuildInfo(BuildInfo.FORMAT, "bootfarm-dev", repo, build.target(), build.definitionDigest(),
        1700000000L, new TreeMap<>(build.components()), new TreeMap<>(Map.of("mmdebstrap", "1.3.5")),
        new Lock("mmdebstrap", List.of(busybox)), Map.of("base", "ef".repeat(32)), new TreeMap<>());
    return artifact(BuildInfo.FILE_NAME, WireJson.write(info));
  }

  private JsonNode statement(ArtifactRecord provenance) throws Exception {
    try (InputStream in = artifacts.open(provenance.sha256())) {
      JsonNode envelope = WireJson.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), JsonNode.class);
      return WireJson.read(new String(java.util.Base64.getDecoder().decode(envelope.get("payload").asText()),
          StandardCharsets.UTF_8), JsonNode.class);
    }
  }

  @Test
  void aSuccessIsRecordedWithASignedProvenanceOfWhatTheCoordinatorChecked() throws Exception {
    String id = runningOnW1();
    BuildRecord running = store.get(id).orElseThrow();
    ArtifactRecord iso = artifact("bootstrap-debian-12.iso", "iso bytes");
    ArtifactRecord buildinfo = buildinfo(running, "debian-12");
    String log = put("the log");
    clock.advance(Duration.ofSeconds(3));
    LeaseAction done = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, List.of(iso, buildinfo),
        List.of(), null, null, false, log));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision(), done::toString);

    BuildRecord build = store.get(id).orElseThrow();
    assertEquals(List.of(iso.name(), BuildInfo.FILE_NAME, ProvenanceWriter.FILE_NAME),
        build.artifacts().stream().map(ArtifactRecord::name).toList());
    ArtifactRecord provenance = build.artifacts().get(2);
    String envelope;
    try (InputStream in = artifacts.open(provenance.sha256())) {
      envelope = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(envelope.endsWith("}\n") && envelope.lines().count() == 1, "one JSON line: " + envelope);
    ProvenanceVerifier.Verified verified = ProvenanceVerifier.verify(envelope, List.of(keys.current()), "x.iso",
        iso.sha256());
    assertEquals(keys.current().keyid(), verified.keyid());
    assertEquals(id, verified.buildId());

    JsonNode s = statement(provenance);
    assertEquals(2, s.get("subject").size(), "one subject per reported artifact: " + s);
    assertEquals(buildinfo.sha256(), s.at("/subject/1/digest/sha256").asText());
    JsonNode external = s.at("/predicate/buildDefinition/externalParameters");
    assertEquals("debian-12", external.get("repo").asText());
    assertEquals("bootstrap", external.get("target").asText());
    assertEquals(build.definitionDigest(), external.get("definitionDigest").asText());
    assertEquals(tether, external.at("/components/tether").asText());
    assertEquals(1700000000L, external.get("sourceDateEpoch").asLong());
    assertEquals(ProvenanceStatement.BUILD_TYPE, s.at("/predicate/buildDefinition/buildType").asText());
    List<String> dependencies = new ArrayList<>();
    s.at("/predicate/buildDefinition/resolvedDependencies").forEach(d -> dependencies.add(d.get("name").asText()
        + " " + d.at("/digest/sha256").asText()));
    assertEquals(List.of("definition/debian-12 " + build.definitionDigest(), "component/tether " + tether,
        "component/unpack " + tether, "busybox-1:1.35.0-4+b3.amd64 " + "cd".repeat(32)), dependencies);
    JsonNode busybox = s.at("/predicate/buildDefinition/resolvedDependencies/3");
    assertEquals("pkg:deb/busybox@1:1.35.0-4+b3?arch=amd64", busybox.get("uri").asText());
    assertTrue(busybox.get("downloadLocation").asText().endsWith("busybox_1.35.0-4+b3.deb"), busybox::toString);
    assertEquals("bookworm/main", busybox.at("/annotations/repository").asText());
    assertEquals("https://farm.example:8080", s.at("/predicate/runDetails/builder/id").asText());
    assertEquals("1.2.3", s.at("/predicate/runDetails/builder/version/bootfarm").asText());
    assertEquals(running.startedAt().toString(), s.at("/predicate/runDetails/metadata/startedOn").asText());
    assertEquals(build.finishedAt().toString(), s.at("/predicate/runDetails/metadata/finishedOn").asText());
    assertEquals(log, s.at("/predicate/runDetails/byproducts/0/digest/sha256").asText());
  }

  @Test
  void aBuildServedFromAnActionCacheIsRecordedSoAndItsProvenanceStillListsTheInputsAndSaysSo() throws Exception {
    String id = runningOnW1();
    BuildRecord running = store.get(id).orElseThrow();
    ArtifactRecord iso = artifact("bootstrap-debian-12.iso", "iso bytes");
    ArtifactRecord buildinfo = buildinfo(running, "debian-12");
    String log = put("the log of a cache hit");
    LeaseAction done = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED, List.of(iso, buildinfo),
        List.of(), null, null, false, log, org.bootfarm.protocol.build.PackageCacheUse.servedFrom("20260101-000001")));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision(), done::toString);
    BuildRecord build = store.get(id).orElseThrow();
    assertEquals("20260101-000001", build.packageCache().cachedFrom());
    assertEquals("20260101-000001", BuildCoordinator.view(build).packageCache().cachedFrom());
    JsonNode s = statement(build.artifacts().get(2));
    List<String> dependencies = new ArrayList<>();
    s.at("/predicate/buildDefinition/resolvedDependencies").forEach(d -> dependencies.add(d.get("name").asText()));
    assertTrue(dependencies.contains("busybox-1:1.35.0-4+b3.amd64"), dependencies::toString);
    JsonNode hit = s.at("/predicate/runDetails/byproducts/1");
    assertEquals("action-cache/20260101-000001", hit.get("name").asText(), s::toString);
    assertEquals(buildinfo.sha256(), hit.at("/digest/sha256").asText());
    assertTrue(hit.at("/annotations/servedFromActionCache").asBoolean(), hit::toString);
  }

  @Test
  void aWorkerReportingAProvenanceOfItsOwnIsRefusedAndItsRunRetried() throws Exception {
    String id = runningOnW1();
    ArtifactRecord forged = artifact(ProvenanceWriter.FILE_NAME, "{\"payloadType\":\"forged\"}\n");
    LeaseAction action = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED,
        List.of(artifact("bootstrap-debian-12.iso", "iso bytes"), forged), List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.REQUEUED, action.decision(), action::toString);
    assertTrue(action.reason().contains("artifact " + ProvenanceWriter.FILE_NAME) && action.reason().contains(
        "the coordinator's own signed provenance"), action::reason);
    assertEquals(List.of(), store.get(id).orElseThrow().artifacts());
  }

  @Test
  void aReportTheStoreRefusesGetsNothingSigned() throws Exception {
    String id = runningOnW1();
    ArtifactRecord iso = artifact("bootstrap-debian-12.iso", "iso bytes");
    long objects = artifacts.stats().objects();
    LeaseAction refused = coordinator.report(new BuildReport(id, "w2", 0, BuildState.SUCCEEDED, List.of(iso),
        List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.REFUSED, refused.decision(), refused::toString);
    assertEquals(objects, artifacts.stats().objects(), "no envelope was stored for w2, which holds no run");
  }

  @Test
  void aBuildinfoContradictingTheRecordGetsNoProvenance() throws Exception {
    String id = runningOnW1();
    ArtifactRecord lying = buildinfo(store.get(id).orElseThrow(), "photon-2.0");
    LeaseAction done = coordinator.report(new BuildReport(id, "w1", 0, BuildState.SUCCEEDED,
        List.of(artifact("bootstrap-debian-12.iso", "iso bytes"), lying), List.of(), null, null, false, null));
    assertEquals(LeaseAction.Decision.SUCCEEDED, done.decision(), done::toString);
    assertEquals(List.of("bootstrap-debian-12.iso", BuildInfo.FILE_NAME), store.get(id).orElseThrow().artifacts()
        .stream().map(ArtifactRecord::name).toList());
  }
}
