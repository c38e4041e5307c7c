package org.bootfarm.protocol.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;
import java.util.List;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Offline verification of a signed provenance: a good envelope verifies and names its build; each tampering is
 * refused with a message saying what failed: the file's bytes changed, the payload edited and re-encoded, a
 * signature by another key under the farm's keyid, a keyid the given keys lack, a truncated envelope, another
 * payload type.
 */
@Tag("unit")
class ProvenanceVerifierTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final byte[] ISO = "an ISO's bytes".getBytes(StandardCharsets.UTF_8);
  KeyPair farm;
  FarmSigningKey farmKey;

  @BeforeEach
  void keys() throws Exception {
    farm = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    farmKey = new FarmSigningKey(farm.getPublic());
  }

  static String statement(String isoSha256) {
    return "{\"_type\":\"" + ProvenanceVerifier.STATEMENT_TYPE + "\",\"predicate\":{\"buildDefinition\":{"
        + "\"externalParameters\":{\"repo\":\"debian-12\",\"target\":\"bootstrap\"}},\"runDetails\":{\"builder\":"
        + "{\"id\":\"http://127.0.0.1:8080\",\"version\":{\"bootfarm\":\"dev\"}},\"metadata\":{\"invocationId\":\"42\","
        + "\"startedOn\":\"2026-01-01T00:00:00Z\",\"finishedOn\":\"2026-01-01T00:05:00Z\"}}},\"predicateType\":\""
        + ProvenanceVerifier.PREDICATE_TYPE + "\",\"subject\":[{\"digest\":{\"sha256\":\"" + isoSha256
        + "\"},\"name\":\"bootstrap.iso\"}]}";
  }

  static String envelope(KeyPair signer, String keyid, String payloadType, byte[] payload) throws Exception {
    Signature signature = Signature.getInstance("Ed25519");
    signature.initSign(signer.getPrivate());
    signature.update(Dsse.pae(payloadType, payload));
    return JSON.writeValueAsString(new Dsse.Envelope(payloadType, Base64.getEncoder().encodeToString(payload),
        List.of(new Dsse.Signature(keyid, Base64.getEncoder().encodeToString(signature.sign()))))) + "\n";
  }

  String signed() throws Exception {
    return envelope(farm, farmKey.keyid(), Dsse.IN_TOTO_PAYLOAD_TYPE,
        statement(Sha256.of(ISO)).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aSignedStatementVerifiesAndNamesItsBuild() throws Exception {
    ProvenanceVerifier.Verified verified = ProvenanceVerifier.verify(signed(), List.of(farmKey), "bootstrap.iso",
        Sha256.of(ISO));
    assertEquals(farmKey.keyid(), verified.keyid());
    assertEquals("bootstrap.iso", verified.subject());
    assertEquals("42", verified.buildId());
    assertEquals("debian-12", verified.repo());
    assertEquals("bootstrap", verified.target());
    assertEquals("http://127.0.0.1:8080", verified.builder());
    assertEquals("2026-01-01T00:05:00Z", verified.finishedOn());
  }

  @Test
  void oneByteOfTheFileChangedIsNotVerified() throws Exception {
    byte[] changed = ISO.clone();
    changed[3] ^= 1;
    ProvenanceVerifier.NotVerified refused = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verify(signed(), List.of(farmKey), "bootstrap.iso", Sha256.of(changed)));
    assertTrue(refused.getMessage().contains("bootstrap.iso has sha256 " + Sha256.of(changed) + ", which is no"
        + " subject of this provenance"), refused::getMessage);
  }

  @Test
  void aPayloadEditedAndReEncodedIsNotVerified() throws Exception {
    String good = signed();
    var node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(good);
    String edited = new String(Base64.getDecoder().decode(node.get("payload").asText()), StandardCharsets.UTF_8)
        .replace("debian-12", "debian-13");
    node.put("payload", Base64.getEncoder().encodeToString(edited.getBytes(StandardCharsets.UTF_8)));
    ProvenanceVerifier.NotVerified refused = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verify(JSON.writeValueAsString(node), List.of(farmKey), "bootstrap.iso",
            Sha256.of(ISO)));
    assertTrue(refused.getMessage().contains("the signature of key " + farmKey.keyid() + " does not verify"),
        refused::getMessage);
    assertTrue(refused.getMessage().contains("the payload was changed after it was signed"), refused::getMessage);
  }

  @Test
  void aSignatureByAnotherKeyUnderTheFarmsKeyidIsNotVerified() throws Exception {
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String forged = envelope(other, farmKey.keyid(), Dsse.IN_TOTO_PAYLOAD_TYPE,
        statement(Sha256.of(ISO)).getBytes(StandardCharsets.UTF_8));
    ProvenanceVerifier.NotVerified refused = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verify(forged, List.of(farmKey), "bootstrap.iso", Sha256.of(ISO)));
    assertTrue(refused.getMessage().contains("another key made the signature"), refused::getMessage);
  }

  @Test
  void aSignatureByAKeyNotGivenIsNotVerifiedNamingItsKeyid() throws Exception {
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String otherKeyid = new FarmSigningKey(other.getPublic()).keyid();
    String unknown = envelope(other, otherKeyid, Dsse.IN_TOTO_PAYLOAD_TYPE,
        statement(Sha256.of(ISO)).getBytes(StandardCharsets.UTF_8));
    ProvenanceVerifier.NotVerified refused = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verify(unknown, List.of(farmKey), "bootstrap.iso", Sha256.of(ISO)));
    assertTrue(refused.getMessage().contains("signed by key " + otherKeyid + ", which is not among the keys given ("
        + farmKey.keyid() + ")"), refused::getMessage);
    assertTrue(refused.getMessage().contains("bootfarm keys"), refused::getMessage);
  }

  @Test
  void aTruncatedEnvelopeIsBadInput() throws Exception {
    String good = signed();
    ProvenanceVerifier.BadInput refused = assertThrows(ProvenanceVerifier.BadInput.class,
        () -> ProvenanceVerifier.verify(good.substring(0, good.length() / 2), List.of(farmKey), "bootstrap.iso",
            Sha256.of(ISO)));
    assertTrue(refused.getMessage().contains("ends early") && refused.getMessage().contains("truncated"),
        refused::getMessage);
    assertThrows(ProvenanceVerifier.BadInput.class, () -> ProvenanceVerifier.verify("", List.of(farmKey),
        "bootstrap.iso", Sha256.of(ISO)));
  }

  @Test
  void anotherPayloadTypeIsNotVerified() throws Exception {
    String other = envelope(farm, farmKey.keyid(), "application/json",
        statement(Sha256.of(ISO)).getBytes(StandardCharsets.UTF_8));
    ProvenanceVerifier.NotVerified refused = assertThrows(ProvenanceVerifier.NotVerified.class,
        () -> ProvenanceVerifier.verify(other, List.of(farmKey), "bootstrap.iso", Sha256.of(ISO)));
    assertTrue(refused.getMessage().contains("payloadType is 'application/json'"), refused::getMessage);
  }
}
