package org.bootfarm.protocol.provenance;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.protocol.Sha256;

/**
 * A farm's public Ed25519 signing key (RFC 8032), as the JDK's own provider reads it: its 32 raw bytes (the
 * encoded point A of RFC 8032 section 5.1.5), its {@link #keyid} (the lower-case hex sha256 of exactly those 32
 * bytes, nothing else), and its PEM form (an X.509 SubjectPublicKeyInfo, RFC 8410: the 12 bytes {@code
 * 302a300506032b6570032100} followed by the 32 raw bytes). Coordinators sign with the private half; anyone
 * verifies with this.
 */
public record FarmSigningKey(PublicKey key) {
  /** The algorithm name as the JDK (and {@code GET /api/v1/keys}) spell it. */
  public static final String ALGORITHM = "Ed25519";
  /** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 raw bytes. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]*?)-----END PUBLIC KEY-----");

  public FarmSigningKey {
    byte[] encoded = key.getEncoded();
    if (encoded == null || encoded.length != SPKI_PREFIX.length + 32
        || !Arrays.equals(Arrays.copyOf(encoded, SPKI_PREFIX.length), SPKI_PREFIX)) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
    }
  }

  /** The key whose 32 raw bytes these are. */
  public static FarmSigningKey fromRaw(byte[] raw) {
    if (raw.length != 32) {
      throw new IllegalArgumentException("an Ed25519 public key is 32 bytes, not " + raw.length);
    }
    byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + 32);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, 32);
    try {
      return new FarmSigningKey(KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(spki)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /**
   * Every {@code PUBLIC KEY} PEM block of {@code text}, in order; text outside the blocks (comments, {@code
   * bootfarm keys}' headings) is ignored.
   *
   * @throws IllegalArgumentException naming the block that is not an Ed25519 public key
   */
  public static List<FarmSigningKey> readPem(String text) {
    List<FarmSigningKey> keys = new ArrayList<>();
    Matcher block = PEM.matcher(text);
    while (block.find()) {
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(block.group(1).replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("PEM block " + (keys.size() + 1) + " is not base64: " + e.getMessage());
      }
      if (der.length != SPKI_PREFIX.length + 32
          || !Arrays.equals(Arrays.copyOf(der, SPKI_PREFIX.length), SPKI_PREFIX)) {
        throw new IllegalArgumentException("PEM block " + (keys.size() + 1) + " is not an Ed25519 public key"
            + " (an X.509 SubjectPublicKeyInfo of 44 bytes starting 302a300506032b6570)");
      }
      keys.add(fromRaw(Arrays.copyOfRange(der, SPKI_PREFIX.length, der.length)));
    }
    return keys;
  }

  /** The 32 raw bytes of the key. */
  public byte[] raw() {
    byte[] encoded = key.getEncoded();
    return Arrays.copyOfRange(encoded, SPKI_PREFIX.length, encoded.length);
  }

  /** The lower-case hex sha256 of the {@link #raw} 32 bytes: the {@code keyid} of the farm's DSSE signatures. */
  public String keyid() {
    return Sha256.of(raw());
  }

  /** The key as a {@code PUBLIC KEY} PEM block (SubjectPublicKeyInfo), ending in a newline. */
  public String pem() {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** Whether {@code signature} is this key's Ed25519 signature of {@code message}. */
  public boolean verifies(byte[] message, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(key);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
