package org.bootfarm.cluster.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * How a worker's or client's message to a coordinator is authenticated in microseconds instead of an
 * Ed25519 signature (ADR 0050): the two processes' X25519 session keys ({@link SessionKeyClaim}, each
 * vouched for by its farm certificate) agree a secret, HKDF-SHA256 turns it into a message key for
 * that sender and that coordinator only, and each message carries, per live coordinator, an HMAC-SHA256
 * tag (128 bits) over the sender's session, its sequence number, the address, the send time, every other
 * header and the body's sha256 ({@link MessageSignatures#signed}). The coordinator accepts each sequence
 * number once ({@link ReplayWindow}), and tags its reply to such a request the same way with the pair's
 * reply key, for the requester alone.
 */
public final class MessageMacs {
  /** The sender's session public key (base64): which session the tags are of. */
  public static final String SESSION = "bootfarm-session";
  /** The message's sequence number in its sender's session, from 0. */
  public static final String SEQUENCE = "bootfarm-seq";
  /** One tag per coordinator: {@code keyId=tag} entries, comma-separated ({@link #keyId}). */
  public static final String MAC = "bootfarm-mac";
  private static final int TAG_BYTES = 16;
  private static final int KEY_BYTES = 32;

  private MessageMacs() {}

  /**
   * The key of {@code senderKey}'s messages to {@code coordinatorKey} (both base64 session public keys):
   * HKDF-SHA256 of their X25519 {@code secret}, salted with the cluster name and bound to both keys in
   * this order, so a key of one pair, one direction or one cluster is no key of another.
   */
  public static byte[] messageKey(byte[] secret, String clusterName, String senderKey, String coordinatorKey) {
    return derive(secret, clusterName, "bootfarm-bus-mac-v1\n" + senderKey + "\n" + coordinatorKey);
  }

  /**
   * The key of {@code coordinatorKey}'s replies to {@code senderKey}'s requests: as {@link #messageKey}, for
   * the other direction, so that no tag of one direction is a tag of the other.
   */
  public static byte[] replyKey(byte[] secret, String clusterName, String senderKey, String coordinatorKey) {
    return derive(secret, clusterName, "bootfarm-bus-reply-v1\n" + senderKey + "\n" + coordinatorKey);
  }

  private static byte[] derive(byte[] secret, String clusterName, String info) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(secret, clusterName.getBytes(StandardCharsets.UTF_8),
        info.getBytes(StandardCharsets.UTF_8)));
    byte[] key = new byte[KEY_BYTES];
    hkdf.generateBytes(key, 0, key.length);
    return key;
  }

  /** A session's short public name for the tags meant for it: 9 bytes of its session key's sha256, base64url. */
  public static String keyId(String sessionPublicKey) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(sessionPublicKey.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 9));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** The tag of one message for one coordinator; {@code covered} is {@link MessageSignatures#signed}. */
  public static String tag(byte[] messageKey, String sequence, String session, String keyId, byte[] covered) {
    HMac hmac = new HMac(new SHA256Digest());
    hmac.init(new KeyParameter(messageKey));
    byte[] prefix = ("bootfarm-mac-v1\n" + session + "\n" + sequence + "\n" + keyId + "\n")
        .getBytes(StandardCharsets.US_ASCII);
    hmac.update(prefix, 0, prefix.length);
    hmac.update(covered, 0, covered.length);
    byte[] out = new byte[hmac.getMacSize()];
    hmac.doFinal(out, 0);
    return Base64.getEncoder().withoutPadding().encodeToString(Arrays.copyOf(out, TAG_BYTES));
  }

  /** The tag meant for {@code keyId} in a {@link #MAC} header; empty when there is none for it. */
  static Optional<String> entry(String header, String keyId) {
    if (header == null || header.length() > 64 * 1024) {
      return Optional.empty();
    }
    String prefix = keyId + "=";
    for (String entry : header.split(",", -1)) {
      if (entry.startsWith(prefix)) {
        return Optional.of(entry.substring(prefix.length()));
      }
    }
    return Optional.empty();
  }

  /** Whether two tags are equal, in time independent of where they differ. */
  static boolean sameTag(String expected, String given) {
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        given.getBytes(StandardCharsets.US_ASCII));
  }
}
