package org.bootfarm.protocol.provenance;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * DSSE, the Dead Simple Signing Envelope (github.com/secure-systems-lab/dsse, protocol.md and envelope.md, v1.0):
 * what is signed is never the payload alone but its pre-authentication encoding {@link #pae}, which binds the
 * payload type to the exact payload bytes; the envelope carries the payload base64-encoded, so the verifier
 * checks the very bytes that were signed and parses them only afterwards.
 */
public final class Dsse {
  /** The payload type of an in-toto statement (in-toto Statement v1). */
  public static final String IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

  private Dsse() {}

  /** One signature of an envelope: the signer's key id and the base64 of the signature over {@link #pae}. */
  public record Signature(String keyid, String sig) {}

  /** The envelope as JSON carries it: {@code payload} is the standard base64 of the payload bytes. */
  @JsonPropertyOrder({"payloadType", "payload", "signatures"})
  public record Envelope(String payloadType, String payload, List<Signature> signatures) {
    public Envelope {
      signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    /** The payload bytes: the base64 of {@link #payload} decoded. */
    public byte[] payloadBytes() {
      return Base64.getDecoder().decode(payload);
    }
  }

  /**
   * The pre-authentication encoding: {@code "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body}, where LEN is
   * the byte length in ASCII decimal without leading zeros, {@code type} is UTF-8, SP one space (0x20).
   */
  public static byte[] pae(String payloadType, byte[] payload) {
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 + type.length + payload.length);
    out.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(type);
    out.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(payload);
    return out.toByteArray();
  }
}
