package org.bootfarm.coordinator.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.provenance.FarmSigningKey;
import org.bootfarm.protocol.provenance.ProvenanceVerifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pair judged REPRODUCIBLE gets a signed reproducibility attestation (ADR 0044): it verifies with the farm key
 * for the ISO's sha256 and names the pair, both builds and workers, side B's variation, the verdict and when it
 * was judged; an UNREPRODUCIBLE or FAILED pair gets none; an edited attestation, one that is really a build's
 * provenance, or one whose subject is another file is refused by the {@code --reproduced} check.
 */
@Tag("unit")
class ReproducibilityAttestationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ISO = "ab".repeat(32);
  private static final String BUILDINFO_A = "cd".repeat(32);
  private static final String BUILDINFO_B = "ef".repeat(32);

  @TempDir Path dir;
  ArtifactStore artifacts;
  SigningKeys keys;
  ReproducibilityAttestation attestation;
  int announced;

  @BeforeEach
  void start() throws Exception {
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    keys = SigningKeys.open(dir.resolve("data"), null);
    attestation = new ReproducibilityAttestation(keys, artifacts,
        new ProvenanceStatement.Builder("https://farm.example:8080", "1.2.3"), put -> announced++);
  }

  @AfterEach
  void stop() throws Exception {
    artifacts.close();
  }

  private static ReproducibilityPair judged(Verdict.Outcome outcome) {
    List<Verdict.SidePair> sides = List.of(
        new Verdict.SidePair("bootstrap.iso", ISO, outcome == Verdict.Outcome.REPRODUCIBLE ? ISO : "00".repeat(32),
            10L, 10L),
        new Verdict.SidePair("buildinfo.json", BUILDINFO_A, BUILDINFO_B, 5L, 5L));
    Verdict verdict = new Verdict(outcome, "b-left", "b-right", "debian-12", "bootstrap", sides, List.of(), null,
        List.of(), null, List.of(), null);
    return new ReproducibilityPair("nightly-1-debian-12", "run-1", "debian-12", "bootstrap", "b-left", "b-right",
        null, null, null, null, null, "2026-12-01T02:00:00Z", null, null)
        .judged(verdict, "2026-12-01T02:10:00Z", "worker-a", "worker-b", 60.0, 61.0)
        .withRebuiltFrom(BUILDINFO_A);
  }

  private String stored(ReproducibilityPair pair) throws Exception {
    try (InputStream in = artifacts.open(pair.attestation().sha256())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aReproduciblePairIsAttestedNamingBothBuildsWorkersTheVariationAndTheVerdict() throws Exception {
    ReproducibilityPair pair = attestation.attest(judged(Verdict.Outcome.REPRODUCIBLE));

    assertEquals(ReproducibilityAttestation.FILE_NAME, pair.attestation().name());
    String envelope = stored(pair);
    assertEquals(pair.attestation().sha256(), Sha256.of(envelope.getBytes(StandardCharsets.UTF_8)));
    assertTrue(artifacts.pinReason(pair.attestation().sha256()).isPresent(), "retention keeps builds, not pairs");
    assertEquals(1, announced, "announced to the standby coordinators");
    ProvenanceVerifier.Verified verified = ProvenanceVerifier.verifyReproduced(envelope, List.of(keys.current()),
        "bootstrap.iso", ISO);
    assertEquals("bootstrap.iso", verified.subject());
    assertEquals(keys.current().keyid(), verified.keyid());
    JsonNode predicate = verified.statement().path("predicate");
    assertEquals(ProvenanceVerifier.REPRODUCIBILITY_TYPE, verified.statement().path("predicateType").asText());
    assertEquals("REPRODUCIBLE", predicate.path("verdict").asText());
    assertEquals("2026-12-01T02:10:00Z", verified.judgedOn());
    assertEquals("nightly-1-debian-12", predicate.path("pair").asText());
    assertEquals("run-1", predicate.path("nightlyRun").asText());
    assertEquals("b-left", verified.side("sideA", "build"));
    assertEquals("worker-a", verified.side("sideA", "worker"));
    assertEquals("b-right", verified.side("sideB", "build"));
    assertEquals("worker-b", verified.side("sideB", "worker"));
    assertEquals("Pacific/Kiritimati", predicate.at("/sideB/variation/timeZone").asText());
    assertEquals(1, predicate.at("/sideB/variation/cpus").asInt());
    assertEquals(BUILDINFO_A, predicate.at("/sideB/rebuiltFrom/buildinfo/sha256").asText());
    assertEquals("https://farm.example:8080", predicate.at("/attester/id").asText());
    // only what both sides built alike is signed: a side pair that differs (no REPRODUCIBLE verdict has one) is not
    assertEquals(1, verified.statement().path("subject").size(), verified.statement()::toString);
    ProvenanceVerifier.NotVerified notSubject = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verifyReproduced(envelope, List.of(keys.current()), "buildinfo.json", BUILDINFO_B));
    assertTrue(notSubject.getMessage().contains("no subject of this reproducibility attestation"),
        notSubject.getMessage());
  }

  @Test
  void anUnreproducibleOrFailedPairGetsNoAttestation() throws Exception {
    for (Verdict.Outcome outcome : List.of(Verdict.Outcome.UNREPRODUCIBLE, Verdict.Outcome.FAILED)) {
      ReproducibilityPair pair = judged(outcome);
      assertSame(pair, attestation.attest(pair), outcome.name());
      assertNull(pair.attestation());
    }
    assertEquals(0, announced);
    assertEquals(List.of(), List.copyOf(artifacts.pins().keySet()));
  }

  @Test
  void anEditedAttestationIsRefused() throws Exception {
    String envelope = stored(attestation.attest(judged(Verdict.Outcome.REPRODUCIBLE)));
    ObjectNode node = (ObjectNode) JSON.readTree(envelope);
    String payload = new String(Base64.getDecoder().decode(node.get("payload").asText()), StandardCharsets.UTF_8);
    node.put("payload", Base64.getEncoder().encodeToString(payload.replace("worker-b", "worker-x")
        .getBytes(StandardCharsets.UTF_8)));
    ProvenanceVerifier.NotVerified edited = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verifyReproduced(node.toString(), List.of(keys.current()), "bootstrap.iso", ISO));
    assertTrue(edited.getMessage().contains("does not verify over the envelope's payload"), edited.getMessage());
  }

  @Test
  void aSignedStatementThatIsNoReproducibleVerdictIsRefused() throws Exception {
    String unreproducible = ProvenanceWriter.envelope(keys, new String(ReproducibilityAttestation.statement(
        judged(Verdict.Outcome.REPRODUCIBLE), new ProvenanceStatement.Builder("https://f", "1")),
        StandardCharsets.UTF_8).replace("\"verdict\":\"REPRODUCIBLE\"", "\"verdict\":\"UNREPRODUCIBLE\"")
        .getBytes(StandardCharsets.UTF_8));
    ProvenanceVerifier.NotVerified verdict = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verifyReproduced(unreproducible, List.of(keys.current()), "bootstrap.iso", ISO));
    assertTrue(verdict.getMessage().contains("verdict is 'UNREPRODUCIBLE', not REPRODUCIBLE"), verdict.getMessage());

    String provenance = ProvenanceWriter.envelope(keys, ("{\"_type\":\"" + ProvenanceVerifier.STATEMENT_TYPE
        + "\",\"predicateType\":\"" + ProvenanceVerifier.PREDICATE_TYPE + "\",\"subject\":[{\"name\":\"bootstrap.iso\","
        + "\"digest\":{\"sha256\":\"" + ISO + "\"}}],\"predicate\":{}}").getBytes(StandardCharsets.UTF_8));
    ProvenanceVerifier.NotVerified notAttestation = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verifyReproduced(provenance, List.of(keys.current()), "bootstrap.iso", ISO));
    assertTrue(notAttestation.getMessage().contains("reproducibility attestation"), notAttestation.getMessage());

    FarmSigningKey other = SigningKeys.open(dir.resolve("other"), null).current();
    String good = stored(attestation.attest(judged(Verdict.Outcome.REPRODUCIBLE)));
    assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verifyReproduced(good, List.of(other), "bootstrap.iso", ISO));
  }
}
