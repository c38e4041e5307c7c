package org.bootfarm.cluster.identity;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;

/**
 * Seals what coordinators put into the cluster's shared Hazelcast maps (the replicated builds, the
 * nightly runs, the coordinators' URLs) with the writing coordinator's certificate, and opens only
 * what a coordinator of this farm sealed for that map and key. Hazelcast's open-source edition lets
 * any process that knows the cluster name read and write its maps, so a standby adopts nothing it
 * cannot trace to a coordinator; a forged or moved value is logged, counted as {@link
 * ClusterRefusals.Reason#FORGED_RECORD} and skipped. (A sealed value put back under its own key
 * later is not detected: the shared state moves to a database with fenced writes in issue 15.)
 */
public final class SignedRecords {
  /** For clusters inside one test JVM, run without certificates: values go into the maps as they are. */
  public static final SignedRecords UNSECURED = new SignedRecords(null, null);
  private static final String FORMAT = "bootfarm-sealed-v1";

  private final MemberCredential credential;
  private final ClusterRefusals refusals;

  public SignedRecords(MemberCredential credential, ClusterRefusals refusals) {
    this.credential = credential;
    this.refusals = refusals;
  }

  /** {@code payload}, sealed by this coordinator for {@code key} in the map {@code map}. */
  public String seal(String map, String key, String payload) {
    if (credential == null) {
      return payload;
    }
    return new JsonObject().put("format", FORMAT).put("by", credential.encodedCertificate())
        .put("signature", credential.sign(signed(map, key, payload))).put("payload", payload).encode();
  }

  /**
   * A value a coordinator sealed, opened.
   *
   * @param payload what it sealed
   * @param by the coordinator whose certificate sealed it; null in a cluster without certificates
   */
  public record Sealed(String payload, MemberIdentity by) {}

  /**
   * The payload of {@code value} found under {@code key} in {@code map}, when a coordinator of this
   * farm sealed it for exactly that map and key; else empty, logged and counted.
   */
  public Optional<String> open(String map, String key, String value) {
    return openSealed(map, key, value).map(Sealed::payload);
  }

  /** {@link #open}, saying which coordinator sealed the value. */
  public Optional<Sealed> openSealed(String map, String key, String value) {
    if (credential == null) {
      return Optional.ofNullable(value).map(payload -> new Sealed(payload, null));
    }
    if (value == null) {
      return Optional.empty();
    }
    try {
      JsonObject sealed = new JsonObject(value);
      String payload = sealed.getString("payload");
      if (FORMAT.equals(sealed.getString("format")) && payload != null) {
        Optional<MemberIdentity> by = credential.trust().verify(sealed.getString("by"), signed(map, key, payload),
            sealed.getString("signature"));
        if (by.isPresent() && by.get().role() == NodeRole.COORDINATOR) {
          return Optional.of(new Sealed(payload, by.get()));
        }
      }
    } catch (DecodeException | ClassCastException e) {
      // not a sealed value at all: refused below
    }
    refusals.refuse(ClusterRefusals.Reason.FORGED_RECORD, "the value under '" + key + "' in the cluster map " + map
        + " was not sealed by a coordinator of this farm for that key; it is not adopted");
    return Optional.empty();
  }

  private static byte[] signed(String map, String key, String payload) {
    return (FORMAT + "\n" + map + "\n" + key + "\n" + payload).getBytes(StandardCharsets.UTF_8);
  }
}
