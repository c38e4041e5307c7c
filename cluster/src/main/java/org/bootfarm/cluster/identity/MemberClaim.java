package org.bootfarm.cluster.identity;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;

/**
 * A member's signed word for what it is in the Hazelcast cluster, published as a member attribute:
 * "the holder of this certificate is the {@code role} at {@code address} in cluster {@code name}".
 * Hazelcast's open-source edition lets any process that knows the cluster name join; the farm counts
 * as a coordinator or a worker only a member whose claim a farm certificate of that role signed, for
 * that member's own address. A claim copied onto another process does not fit its address.
 */
public final class MemberClaim {
  /** The member attribute that carries the claim. */
  public static final String ATTRIBUTE = "bootfarm.claim";
  /** The form of a claim, its first part (shared with {@link SessionKeyClaim}). */
  static final String VERSION = "v1";

  private MemberClaim() {}

  /**
   * The claim of {@code credential}'s holder to be the {@code role} at {@code address}.
   *
   * @throws IllegalArgumentException when the certificate is not of that role
   */
  public static String make(MemberCredential credential, String clusterName, String address, NodeRole role) {
    if (credential.identity().role() != role) {
      throw new IllegalArgumentException("the certificate in " + credential.dir() + " is a "
          + credential.identity() + "'s; a " + MemberIdentity.roleName(role) + " needs a "
          + MemberIdentity.roleName(role) + " certificate (bootfarm ca issue --role " + MemberIdentity.roleName(role)
          + " ...)");
    }
    return VERSION + "." + credential.encodedCertificate() + "." + credential.sign(signed(clusterName, address, role));
  }

  /**
   * Who made {@code claim}, when it is a farm member's claim to be the {@code role} at {@code
   * address} in this cluster, made with a certificate of that role; else empty.
   */
  public static Optional<MemberIdentity> verify(FarmTrust trust, String claim, String clusterName, String address,
      NodeRole role) {
    return parts(claim).flatMap(parts -> trust.verify(parts[1], signed(clusterName, address, role), parts[2]))
        .filter(identity -> identity.role() == role);
  }

  /** The certificate (base64 DER) a claim carries, unchecked: {@link #verify} first. */
  static Optional<String> certificate(String claim) {
    return parts(claim).map(parts -> parts[1]);
  }

  /**
   * The three parts of a claim in this form, {@code v1.<what is vouched for>.<signature>} (a member claim's
   * certificate, a {@link SessionKeyClaim}'s key), unchecked; empty when it has another form.
   */
  static Optional<String[]> parts(String claim) {
    if (claim == null) {
      return Optional.empty();
    }
    String[] parts = claim.split("\\.", -1);
    return parts.length == 3 && parts[0].equals(VERSION) ? Optional.of(parts) : Optional.empty();
  }

  private static byte[] signed(String clusterName, String address, NodeRole role) {
    return ("bootfarm-member-claim-v1\n" + clusterName + "\n" + address + "\n" + role.name())
        .getBytes(StandardCharsets.UTF_8);
  }
}
