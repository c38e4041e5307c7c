package org.bootfarm.protocol.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Offline verification of a build's {@code provenance.intoto.jsonl} against a downloaded file (ADR 0044): the
 * envelope must be DSSE with the in-toto payload type, carry a signature whose {@code keyid} names one of the given
 * farm keys and verifies over the PAE of the exact payload bytes, the payload must be an in-toto Statement v1 with
 * an SLSA Provenance v1 predicate, and one of its subjects must have the file's sha256. Only then is the statement
 * read. Each refusal says what failed and what to do.
 */
public final class ProvenanceVerifier {
  public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
  public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";
  /** bootfarm's predicate of a pair two workers reproduced (docs/reproducibility-attestation.md). */
  public static final String REPRODUCIBILITY_TYPE = "urn:bootfarm:attestation:reproducibility:v1";
  private static final String REPRODUCIBLE = "REPRODUCIBLE";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ProvenanceVerifier() {}

  /** The envelope, the key or the file cannot be read as one: nothing was verified (exit 2). */
  public static final class BadInput extends Exception {
    public BadInput(String message) {
      super(message);
    }
  }

  /** The envelope was read but does not vouch for the file (exit 1). */
  public static final class NotVerified extends Exception {
    public NotVerified(String message) {
      super(message);
    }
  }

  /**
   * A verified statement: the key that signed it, the subject the file matched, and the statement itself.
   */
  public record Verified(String keyid, String subject, JsonNode statement) {
    public String buildId() {
      return text(statement.at("/predicate/runDetails/metadata/invocationId"));
    }

    public String repo() {
      return text(statement.at("/predicate/buildDefinition/externalParameters/repo"));
    }

    public String target() {
      return text(statement.at("/predicate/buildDefinition/externalParameters/target"));
    }

    public String builder() {
      return text(statement.at("/predicate/runDetails/builder/id"));
    }

    public String builderVersion() {
      return statement.at("/predicate/runDetails/builder/version").toString();
    }

    public String startedOn() {
      return text(statement.at("/predicate/runDetails/metadata/startedOn"));
    }

    public String finishedOn() {
      return text(statement.at("/predicate/runDetails/metadata/finishedOn"));
    }

    /** The reproducibility attestation's side {@code side} ({@code sideA} or {@code sideB}): build and worker. */
    public String side(String side, String field) {
      return text(statement.at("/predicate/" + side + "/" + field));
    }

    public String judgedOn() {
      return text(statement.at("/predicate/judgedOn"));
    }

    private static String text(JsonNode node) {
      return node.isMissingNode() || node.isNull() ? null : node.asText();
    }
  }

  /**
   * Verifies {@code envelopeText} (the first line of a {@code .intoto.jsonl} file) for the file {@code fileName}
   * whose sha256 is {@code fileSha256}, trusting exactly {@code keys}.
   */
  public static Verified verify(String envelopeText, List<FarmSigningKey> keys, String fileName, String fileSha256)
      throws BadInput, NotVerified {
    return subject(signed(envelopeText, keys, PREDICATE_TYPE, "SLSA Provenance v1"), fileName, fileSha256,
        "provenance");
  }

  /**
   * Verifies a pair's {@code reproducibility.intoto.jsonl} for the file {@code fileName} whose sha256 is {@code
   * fileSha256}: signed by one of {@code keys}, an in-toto Statement v1 with bootfarm's reproducibility predicate
   * ({@link #REPRODUCIBILITY_TYPE}, docs/reproducibility-attestation.md), verdict REPRODUCIBLE, the file's sha256
   * among its subjects.
   */
  public static Verified verifyReproduced(String envelopeText, List<FarmSigningKey> keys, String fileName,
      String fileSha256) throws BadInput, NotVerified {
    Verified signed = signed(envelopeText, keys, REPRODUCIBILITY_TYPE, "bootfarm's reproducibility attestation");
    String verdict = signed.statement().at("/predicate/verdict").asText();
    if (!REPRODUCIBLE.equals(verdict)) {
      throw new NotVerified("the reproducibility attestation's verdict is '" + verdict + "', not " + REPRODUCIBLE
          + ": no two workers reproduced it; do not rely on the file being reproducible");
    }
    return subject(signed, fileName, fileSha256, "reproducibility attestation");
  }

  /** The statement of a signed envelope whose predicateType is {@code predicateType}; no subject chosen yet. */
  private static Verified signed(String envelopeText, List<FarmSigningKey> keys, String predicateType,
      String predicateName) throws BadInput, NotVerified {
    Dsse.Envelope envelope = envelope(envelopeText);
    if (!Dsse.IN_TOTO_PAYLOAD_TYPE.equals(envelope.payloadType())) {
      throw new NotVerified("the envelope's payloadType is '" + envelope.payloadType() + "', not '"
          + Dsse.IN_TOTO_PAYLOAD_TYPE + "': it is not an in-toto statement");
    }
    byte[] payload;
    try {
      payload = Base64.getDecoder().decode(envelope.payload());
    } catch (IllegalArgumentException e) {
      throw new BadInput("the envelope's payload is not standard base64 (" + e.getMessage() + "): the file is damaged;"
          + " download it again");
    }
    String keyid = signer(envelope, keys, Dsse.pae(envelope.payloadType(), payload));
    JsonNode statement;
    try {
      statement = JSON.readTree(payload);
    } catch (java.io.IOException e) {
      throw new NotVerified("the signed payload is not JSON: " + e.getMessage());
    }
    if (!STATEMENT_TYPE.equals(statement.path("_type").asText())
        || !predicateType.equals(statement.path("predicateType").asText())) {
      throw new NotVerified("the signed payload is not an in-toto Statement v1 with " + predicateName + " (_type '"
          + statement.path("_type").asText() + "', predicateType '" + statement.path("predicateType").asText() + "')");
    }
    return new Verified(keyid, null, statement);
  }

  /** {@code signed} with the subject that carries {@code fileSha256}. */
  private static Verified subject(Verified signed, String fileName, String fileSha256, String what)
      throws NotVerified {
    List<String> subjects = new ArrayList<>();
    for (JsonNode subject : signed.statement().path("subject")) {
      String sha256 = subject.path("digest").path("sha256").asText();
      if (sha256.equals(fileSha256)) {
        return new Verified(signed.keyid(), subject.path("name").asText(), signed.statement());
      }
      subjects.add(subject.path("name").asText() + " " + sha256);
    }
    throw new NotVerified(fileName + " has sha256 " + fileSha256 + ", which is no subject of this " + what + " ("
        + String.join(", ", subjects) + "): the file is not what the farm built (changed, or another build's);"
        + " download it again");
  }

  private static Dsse.Envelope envelope(String text) throws BadInput, NotVerified {
    String line = text.lines().filter(l -> !l.isBlank()).findFirst().orElse("");
    if (line.isEmpty()) {
      throw new BadInput("the provenance file is empty: download provenance.intoto.jsonl again");
    }
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonEOFException e) {
      throw new BadInput("the provenance envelope ends early, after " + line.length() + " characters (truncated?):"
          + " download provenance.intoto.jsonl again");
    } catch (JsonProcessingException e) {
      throw new BadInput("the provenance file is not a DSSE envelope (JSON): " + e.getOriginalMessage());
    }
    for (String field : List.of("payloadType", "payload", "signatures")) {
      if (!node.hasNonNull(field)) {
        throw new BadInput("the provenance envelope has no '" + field + "': it is not a DSSE envelope, or truncated;"
            + " download provenance.intoto.jsonl again");
      }
    }
    List<Dsse.Signature> signatures = new ArrayList<>();
    for (JsonNode signature : node.get("signatures")) {
      signatures.add(new Dsse.Signature(signature.path("keyid").asText(""), signature.path("sig").asText("")));
    }
    if (signatures.isEmpty()) {
      throw new NotVerified("the provenance envelope carries no signature");
    }
    return new Dsse.Envelope(node.get("payloadType").asText(), node.get("payload").asText(), signatures);
  }

  /** The keyid of a signature that verifies with one of {@code keys}. */
  private static String signer(Dsse.Envelope envelope, List<FarmSigningKey> keys, byte[] pae) throws NotVerified {
    List<String> failed = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (Dsse.Signature signature : envelope.signatures()) {
      Optional<FarmSigningKey> key = keys.stream().filter(k -> k.keyid().equals(signature.keyid())).findFirst();
      if (key.isEmpty()) {
        unknown.add(signature.keyid().isEmpty() ? "(no keyid)" : signature.keyid());
        continue;
      }
      byte[] sig;
      try {
        sig = Base64.getDecoder().decode(signature.sig());
      } catch (IllegalArgumentException e) {
        failed.add(signature.keyid());
        continue;
      }
      if (key.get().verifies(pae, sig)) {
        return signature.keyid();
      }
      failed.add(signature.keyid());
    }
    if (!failed.isEmpty()) {
      throw new NotVerified("the signature of key " + String.join(", ", failed) + " does not verify over the"
          + " envelope's payload: the payload was changed after it was signed, or another key made the signature;"
          + " do not use the file");
    }
    throw new NotVerified("the envelope is signed by key " + String.join(", ", unknown) + ", which is not among the"
        + " keys given (" + String.join(", ", keys.stream().map(FarmSigningKey::keyid).toList()) + "): get the farm's"
        + " public keys with 'bootfarm keys' (current and retired) and verify with the one that signed it");
  }
}
