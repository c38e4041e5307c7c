package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One of the farm's provenance signing keys as {@code GET /api/v1/keys} lists it (ADR 0044): the current key signs
 * new builds' provenance, retired ones verify what they signed before a rotation.
 *
 * @param keyid     lower-case hex sha256 of the key's 32 raw bytes: the {@code keyid} of its DSSE signatures
 * @param algorithm {@code Ed25519}
 * @param publicKey the standard base64 of the 32 raw public key bytes (RFC 8032)
 * @param pem       the same key as a {@code PUBLIC KEY} PEM block (X.509 SubjectPublicKeyInfo, RFC 8410)
 * @param status    {@code current} or {@code retired}
 */
@JsonPropertyOrder({"keyid", "algorithm", "status", "publicKey", "pem"})
public record SigningKeyInfo(String keyid, String algorithm, String status, String publicKey, String pem) {
  public static final String CURRENT = "current";
  public static final String RETIRED = "retired";
}
