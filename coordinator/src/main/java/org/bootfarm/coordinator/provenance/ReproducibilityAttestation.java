package org.bootfarm.coordinator.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.nightly.PairAttestation;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.provenance.ProvenanceVerifier;

/**
 * Signs the reproducibility attestation of a REPRODUCIBLE pair (ADR 0044, docs/reproducibility-attestation.md): an
 * in-toto Statement v1 whose subjects are the artifacts both sides built with the same sha256 and whose predicate
 * ({@link ProvenanceVerifier#REPRODUCIBILITY_TYPE}) names the pair, both builds and workers, the variation side B
 * ran under, the verdict and when it was judged; signed with the farm key in a DSSE envelope, stored (and pinned:
 * retention keeps builds, not pairs) in the artifact store as {@link #FILE_NAME} and named by the pair record's
 * {@code attestation}. Any other verdict gets none. The facts are the coordinator's own verdict and pair record.
 */
public final class ReproducibilityAttestation implements PairAttestation {
  /** The artifact name of a pair's signed reproducibility attestation. */
  public static final String FILE_NAME = "reproducibility.intoto.jsonl";
  private static final ObjectMapper CANONICAL = new ObjectMapper()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private final SigningKeys keys;
  private final ArtifactStore store;
  private final ProvenanceStatement.Builder attester;
  private final Consumer<ArtifactStore.PutResult> stored;

  /** @param stored told of each envelope stored, to announce it to the standby coordinators, which copy it */
  public ReproducibilityAttestation(SigningKeys keys, ArtifactStore store, ProvenanceStatement.Builder attester,
      Consumer<ArtifactStore.PutResult> stored) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.store = Objects.requireNonNull(store, "store");
    this.attester = Objects.requireNonNull(attester, "attester");
    this.stored = Objects.requireNonNull(stored, "stored");
  }

  @Override
  public ReproducibilityPair attest(ReproducibilityPair pair) throws IOException {
    if (pair.verdict() == null || pair.verdict().outcome() != Verdict.Outcome.REPRODUCIBLE) {
      return pair;
    }
    byte[] line = (ProvenanceWriter.envelope(keys, statement(pair, attester)) + "\n")
        .getBytes(StandardCharsets.UTF_8);
    String sha256 = Sha256.of(line);
    ArtifactStore.PutResult put = store.putOwn(sha256, new ByteArrayInputStream(line));
    store.pin(sha256, "the reproducibility attestation of pair " + pair.id());
    stored.accept(put);
    return pair.withAttestation(new ArtifactRecord(FILE_NAME, sha256, line.length));
  }

  /** The statement's bytes for the judged REPRODUCIBLE {@code pair}: canonical JSON, keys sorted, no whitespace. */
  public static byte[] statement(ReproducibilityPair pair, ProvenanceStatement.Builder attester) {
    Verdict verdict = pair.verdict();
    Map<String, Object> statement = new TreeMap<>();
    statement.put("_type", ProvenanceVerifier.STATEMENT_TYPE);
    statement.put("predicateType", ProvenanceVerifier.REPRODUCIBILITY_TYPE);
    statement.put("subject", verdict.artifacts().stream().filter(Verdict.SidePair::same)
        .map(a -> Map.of("name", a.name(), "digest", Map.of("sha256", a.leftSha256()))).toList());
    Map<String, Object> predicate = new TreeMap<>();
    predicate.put("verdict", verdict.outcome().name());
    predicate.put("judgedOn", pair.judgedAt());
    predicate.put("pair", pair.id());
    if (pair.run() != null) {
      predicate.put("nightlyRun", pair.run());
    }
    predicate.put("repo", pair.repo());
    predicate.put("target", pair.target());
    predicate.put("sideA", side(pair.left(), pair.leftWorker()));
    Map<String, Object> sideB = side(pair.right(), pair.rightWorker());
    sideB.put("variation", CANONICAL.convertValue(BuildVariation.varied(), TreeMap.class));
    sideB.put("fromScratch", true);
    if (pair.rebuiltFrom() != null) {
      sideB.put("rebuiltFrom", Map.of("buildinfo", Map.of("sha256", pair.rebuiltFrom())));
    }
    predicate.put("sideB", sideB);
    if (pair.hasUnsignedBuilds()) {
      predicate.put("unsigned", List.copyOf(pair.unsigned()));
    }
    predicate.put("attester", Map.of("id", attester.id(), "version", Map.of("bootfarm", attester.version())));
    statement.put("predicate", predicate);
    try {
      return CANONICAL.writeValueAsBytes(statement);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a reproducibility statement of plain maps failed to serialise", e);
    }
  }

  private static Map<String, Object> side(String build, String worker) {
    Map<String, Object> side = new TreeMap<>();
    side.put("build", build);
    side.put("worker", worker);
    return side;
  }
}
