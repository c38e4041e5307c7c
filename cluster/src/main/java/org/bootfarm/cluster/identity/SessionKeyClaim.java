package org.bootfarm.cluster.identity;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;

/**
 * A member's word, signed by its farm certificate, for the X25519 session key of its process, published
 * as a Hazelcast member attribute beside its {@link MemberClaim}: "in cluster {@code name}, the member at
 * {@code address} agrees message keys with this public key". A worker or client derives from it the key
 * of its messages to each coordinator, a coordinator the key of each sender's messages ({@link
 * MessageMacs}); only the holder of the private key, which never leaves its process, can use it.
 */
public final class SessionKeyClaim {
  /** The member attribute that carries the claim. */
  public static final String ATTRIBUTE = "bootfarm.session-key";

  private SessionKeyClaim() {}

  /** The claim of {@code credential}'s process, at {@code address} in cluster {@code clusterName}. */
  public static String make(MemberCredential credential, String clusterName, String address) {
    String key = credential.sessionPublicKey();
    return MemberClaim.VERSION + "." + key + "." + credential.sign(signed(clusterName, address, key));
  }

  /**
   * A member's session key, vouched for by its certificate, and whose it is.
   *
   * @param identity who the member is, by the certificate of its verified {@link MemberClaim}
   * @param publicKey its session public key, base64
   * @param certificate that certificate (its validity ends the key's)
   */
  public record Vouched(MemberIdentity identity, String publicKey, X509Certificate certificate) {}

  /**
   * The session key {@code claim} names, when the member's {@code memberClaim} verifies for its {@code
   * role} and {@code address} in this cluster and the same certificate signed {@code claim} for them; else
   * empty.
   */
  public static Optional<Vouched> verify(FarmTrust trust, String claim, String memberClaim, String clusterName,
      String address, NodeRole role) {
    Optional<String[]> parts = MemberClaim.parts(claim);
    Optional<String> certificate = MemberClaim.certificate(memberClaim);
    if (parts.isEmpty() || certificate.isEmpty()) {
      return Optional.empty();
    }
    String key = parts.get()[1];
    Optional<MemberIdentity> member = MemberClaim.verify(trust, memberClaim, clusterName, address, role);
    Optional<X509Certificate> vouching = trust.certificate(certificate.get());
    if (member.isEmpty() || vouching.isEmpty()
        || trust.verify(certificate.get(), signed(clusterName, address, key), parts.get()[2]).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Vouched(member.get(), key, vouching.get()));
  }

  /** The public key {@code claim} names, unchecked: to find a sender's member before checking its claims. */
  public static Optional<String> publicKey(String claim) {
    return MemberClaim.parts(claim).map(parts -> parts[1]);
  }

  private static byte[] signed(String clusterName, String address, String key) {
    return ("bootfarm-session-key-v1\n" + clusterName + "\n" + address + "\n" + key).getBytes(StandardCharsets.UTF_8);
  }
}
