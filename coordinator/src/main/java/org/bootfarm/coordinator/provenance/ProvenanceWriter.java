package org.bootfarm.coordinator.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.bootfarm.coordinator.BuildProvenance;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.provenance.Dsse;

/**
 * Signs a SUCCEEDED build's provenance inside the coordinator (ADR 0044): for a success report that {@code
 * ReportCheck} let through, from the worker that holds the build's run, it writes the {@link ProvenanceStatement},
 * signs DSSE's PAE of its exact bytes with the farm key, stores the envelope (one JSON line) in the artifact store
 * and adds it to the build's artifacts as {@link #FILE_NAME}. Nothing else reaches the key: no API takes bytes to
 * sign. A buildinfo that contradicts the build record (another repo, target, definition or components) gets no
 * statement (nor does one that cannot be read), and the coordinator's log says why; a failure to sign or store
 * fails the report, which the worker sends again.
 */
public final class ProvenanceWriter implements BuildProvenance {
  /** The artifact name of a build's signed provenance; a worker may not report an artifact of that name. */
  public static final String FILE_NAME = "provenance.intoto.jsonl";
  private static final System.Logger LOG = System.getLogger(ProvenanceWriter.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SigningKeys keys;
  private final BuildStore builds;
  private final ArtifactStore store;
  private final ProvenanceStatement.Builder builder;
  private final Consumer<ArtifactStore.PutResult> stored;

  /** @param builds where the reported build's record is read (the coordinator's own, checked at submission) */
  public ProvenanceWriter(SigningKeys keys, BuildStore builds, ArtifactStore store,
      ProvenanceStatement.Builder builder) {
    this(keys, builds, store, builder, put -> { });
  }

  /** @param stored told of each envelope stored, to announce it to the standby coordinators, which copy it */
  public ProvenanceWriter(SigningKeys keys, BuildStore builds, ArtifactStore store,
      ProvenanceStatement.Builder builder, Consumer<ArtifactStore.PutResult> stored) {
    this.stored = Objects.requireNonNull(stored, "stored");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.builds = Objects.requireNonNull(builds, "builds");
    this.store = Objects.requireNonNull(store, "store");
    this.builder = Objects.requireNonNull(builder, "builder");
  }

  @Override
  public List<ArtifactRecord> artifacts(BuildReport report, Instant now) {
    Optional<BuildRecord> current = builds.get(report.buildId());
    if (report.state() != BuildState.SUCCEEDED || current.isEmpty() || !holds(current.get(), report)) {
      return report.artifacts(); // the store refuses this report: nothing is signed for it
    }
    BuildRecord build = current.get();
    BuildInfo buildInfo;
    String contradiction;
    try {
      buildInfo = buildInfo(report);
      contradiction = contradiction(build, buildInfo);
    } catch (IOException e) {
      buildInfo = null;
      contradiction = e.getMessage();
    }
    if (contradiction != null) {
      LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: build " + build.id() + " gets no signed provenance:"
          + " its " + BuildInfo.FILE_NAME + " from worker " + report.workerId() + " contradicts the build record ("
          + contradiction + "); check that worker's bootfarm version");
      return report.artifacts();
    }
    byte[] payload = ProvenanceStatement.of(build, report.artifacts(), buildInfo, report.log(), builder, now,
        report.packageCache() == null ? null : report.packageCache().cachedFrom());
    try {
      byte[] line = (envelope(payload) + "\n").getBytes(StandardCharsets.UTF_8);
      String sha256 = Sha256.of(line);
      stored.accept(store.putOwn(sha256, new ByteArrayInputStream(line)));
      List<ArtifactRecord> artifacts = new ArrayList<>(report.artifacts());
      artifacts.add(new ArtifactRecord(FILE_NAME, sha256, line.length));
      return artifacts;
    } catch (IOException e) {
      throw new UncheckedIOException("the provenance of build " + build.id() + " could not be signed and stored in"
          + " the coordinator's artifact store (" + e.getMessage() + "); the worker sends its report again", e);
    }
  }

  /** The DSSE envelope of {@code payload}, signed with the current key, as one line of JSON. */
  public String envelope(byte[] payload) throws IOException {
    return envelope(keys, payload);
  }

  /** The DSSE envelope of {@code payload}, signed with {@code keys}' current key, as one line of JSON. */
  static String envelope(SigningKeys keys, byte[] payload) throws IOException {
    byte[] signature = keys.sign(Dsse.pae(Dsse.IN_TOTO_PAYLOAD_TYPE, payload));
    Dsse.Envelope envelope = new Dsse.Envelope(Dsse.IN_TOTO_PAYLOAD_TYPE, Base64.getEncoder().encodeToString(payload),
        List.of(new Dsse.Signature(keys.current().keyid(), Base64.getEncoder().encodeToString(signature))));
    try {
      return JSON.writeValueAsString(envelope);
    } catch (JsonProcessingException e) {
      throw new IOException("cannot write a DSSE envelope: " + e.getMessage(), e);
    }
  }

  /** Whether the report's worker holds this run of the build: only then may its success be recorded. */
  private static boolean holds(BuildRecord build, BuildReport report) {
    return build.state() == BuildState.RUNNING && report.workerId().equals(build.leaseOwner())
        && build.attempts() == report.attempt();
  }

  /** The report's buildinfo, read from the store (ReportCheck found it there); null when it names none. */
  private BuildInfo buildInfo(BuildReport report) throws IOException {
    Optional<ArtifactRecord> named = report.artifacts().stream().filter(a -> BuildInfo.FILE_NAME.equals(a.name()))
        .findFirst();
    if (named.isEmpty()) {
      return null;
    }
    try (InputStream in = store.open(named.get().sha256())) {
      return WireJson.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), BuildInfo.class);
    } catch (IOException | WireJson.WireFormatException e) {
      throw new IOException("it cannot be read (sha256 " + named.get().sha256() + "): " + e.getMessage(), e);
    }
  }

  /** What of {@code info} contradicts {@code build}'s record; null when nothing does (or there is no buildinfo). */
  private static String contradiction(BuildRecord build, BuildInfo info) {
    if (info == null) {
      return null;
    }
    List<String> problems = new ArrayList<>();
    if (!Objects.equals(build.repo(), info.repo())) {
      problems.add("repo " + info.repo() + ", not " + build.repo());
    }
    if (!Objects.equals(build.target(), info.target())) {
      problems.add("target " + info.target() + ", not " + build.target());
    }
    if (build.definitionDigest() != null && !build.definitionDigest().equals(info.definitionDigest())) {
      problems.add("definition " + info.definitionDigest() + ", not " + build.definitionDigest());
    }
    if (!build.components().equals(info.components())) {
      problems.add("components " + info.components() + ", not " + build.components());
    }
    return problems.isEmpty() ? null : String.join("; ", problems);
  }
}
