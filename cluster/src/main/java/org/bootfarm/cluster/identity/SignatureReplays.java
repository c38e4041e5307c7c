package org.bootfarm.cluster.identity;

import java.time.Clock;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.cluster.NodeRole;

/**
 * Which signed messages a member has accepted, so that each is accepted once (ADR 0064): a signed message carries a
 * nonce, the next number of its signing process ({@link MemberCredential#nextNonce}), which its signature covers,
 * and each signing process (its message key) gets a {@link ReplayWindow} here: {@link #WINDOW} nonces for a
 * coordinator's, a MAC session's {@link ReplayWindow#SIZE} for any other member's (a worker or client signs only
 * until it knows a coordinator). A window unused for {@link #FORGET_AFTER_MILLIS} is forgotten: what it accepted is
 * refused as stale by then. One certificate keeps at most {@link #PER_CERTIFICATE} windows, the least recently used
 * going first, so a member minting message keys costs memory only its own windows hold, never another member's.
 */
final class SignatureReplays {
  /**
   * How far behind the newest nonce of a coordinator's process one may arrive: its nonces count everything it signs
   * (build events too), and a request sent again keeps its first nonce, so about 26 s of 10,000 signed messages a
   * second; 32 KiB a window.
   */
  static final int WINDOW = 1 << 18;
  /** Windows one certificate keeps: its process restarted this often within {@link #FORGET_AFTER_MILLIS}. */
  static final int PER_CERTIFICATE = 8;
  /** As a MAC session's (ADR 0050): an accepted message is stale {@link MessageSignatures#MAX_SKEW} after it left. */
  static final long FORGET_AFTER_MILLIS = 2 * MessageSignatures.MAX_SKEW.toMillis() + 60_000;

  private static final class Signer {
    final MemberIdentity identity;
    final ReplayWindow window;
    volatile long used;

    Signer(MemberIdentity identity, long now) {
      this.identity = identity;
      this.window = new ReplayWindow(identity.role() == NodeRole.COORDINATOR ? WINDOW : ReplayWindow.SIZE, "nonce",
          "its signing process");
      this.used = now;
    }
  }

  private final Clock clock;
  /** By message key (base64): the window of each signing process. */
  private final Map<String, Signer> signers = new ConcurrentHashMap<>();

  SignatureReplays(Clock clock) {
    this.clock = clock;
  }

  /**
   * Accepts {@code nonce} of the process whose message key is {@code messageKey}, vouched for by {@code identity}'s
   * certificate, once; else says why not.
   */
  String accept(String messageKey, MemberIdentity identity, long nonce) {
    long now = clock.millis();
    Signer signer = signers.get(messageKey);
    if (signer == null) {
      signer = add(messageKey, identity, now);
    }
    signer.used = now;
    return signer.window.accept(nonce);
  }

  private synchronized Signer add(String messageKey, MemberIdentity identity, long now) {
    Signer known = signers.get(messageKey);
    if (known != null) {
      return known;
    }
    signers.values().removeIf(s -> now - s.used > FORGET_AFTER_MILLIS);
    var own = signers.entrySet().stream().filter(e -> e.getValue().identity.equals(identity)).toList();
    if (own.size() >= PER_CERTIFICATE) {
      own.stream().min(Comparator.comparingLong(e -> e.getValue().used)).ifPresent(e -> signers.remove(e.getKey()));
    }
    Signer fresh = new Signer(identity, now);
    signers.put(messageKey, fresh);
    return fresh;
  }
}
