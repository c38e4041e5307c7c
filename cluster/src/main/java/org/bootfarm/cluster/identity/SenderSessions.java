package org.bootfarm.cluster.identity;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A coordinator's sessions with the workers and clients whose messages carry a MAC instead of a
 * signature (ADR 0050): the sender's session key names a live member whose certificate vouched for it
 * ({@link SessionKeyClaim}); the keys are agreed once per session, each message's tag meant for this
 * coordinator is checked, and each sequence number accepted once ({@link ReplayWindow}). A reply to an
 * accepted request is tagged for its requester in the same session, with the session's reply key.
 */
public final class SenderSessions implements MacSessions {
  /**
   * A session unused for this long is forgotten: every message it had accepted is then refused as too old
   * (sent at most {@link MessageSignatures#MAX_SKEW} after its acceptance, refused more than that after).
   */
  private static final long FORGET_AFTER_MILLIS = 2 * MessageSignatures.MAX_SKEW.toMillis() + 60_000;
  /** Requests accepted and not yet replied to, at most: a consumer that never replies leaves no more behind. */
  private static final int AWAITING_REPLY = 65_536;

  private static final class Session {
    final SessionKeyClaim.Vouched sender;
    final String keyId;
    final byte[] key;
    final byte[] replyKey;
    final ReplayWindow window = new ReplayWindow();
    volatile long used;

    Session(SessionKeyClaim.Vouched sender, byte[] key, byte[] replyKey) {
      this.sender = sender;
      this.keyId = MessageMacs.keyId(sender.publicKey());
      this.key = key;
      this.replyKey = replyKey;
    }
  }

  private final MemberCredential credential;
  private final String clusterName;
  private final String keyId;
  private final Function<String, Optional<SessionKeyClaim.Vouched>> members;
  private final Clock clock;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  /** By reply address: the session of each accepted request, until its reply is sent. */
  private final Map<String, Session> awaitingReply = Collections.synchronizedMap(
      new LinkedHashMap<String, Session>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
          return size() > AWAITING_REPLY;
        }
      });

  /**
   * @param members finds the live member whose verified {@link SessionKeyClaim} names a session key (base64)
   */
  public SenderSessions(MemberCredential credential, String clusterName,
      Function<String, Optional<SessionKeyClaim.Vouched>> members, Clock clock) {
    this.credential = credential;
    this.clusterName = clusterName;
    this.keyId = MessageMacs.keyId(credential.sessionPublicKey());
    this.members = members;
    this.clock = clock;
  }

  @Override
  public MessageSignatures.Verdict verify(Message<?> message, String sent) {
    MultiMap headers = message.headers();
    String session = headers.get(MessageMacs.SESSION);
    String sequence = headers.get(MessageMacs.SEQUENCE);
    if (session == null || sequence == null || !MessageSignatures.NUMBER.matcher(sequence).matches()) {
      return MessageSignatures.Verdict.refused("its MAC comes without a session or sequence number");
    }
    Optional<String> tag = MessageMacs.entry(headers.get(MessageMacs.MAC), keyId);
    if (tag.isEmpty()) {
      return MessageSignatures.Verdict.refused("it carries no MAC for this coordinator (meant for another)");
    }
    Session known = session(session);
    if (known == null) {
      return MessageSignatures.Verdict.refused("its session key is no live farm member's");
    }
    try {
      known.sender.certificate().checkValidity();
    } catch (CertificateException expired) {
      sessions.remove(session);
      return MessageSignatures.Verdict.refused("the certificate of its session has expired");
    }
    String expected = MessageMacs.tag(known.key, sequence, session, keyId,
        MessageSignatures.signed(message.address(), sent, headers, message.body()));
    if (!MessageMacs.sameTag(expected, tag.get())) {
      return MessageSignatures.Verdict.refused("its MAC does not verify (altered, or made with another session's key)");
    }
    String replay = known.window.accept(Long.parseLong(sequence));
    if (replay != null) {
      return MessageSignatures.Verdict.refused("replayed: " + replay);
    }
    known.used = clock.millis();
    if (message.replyAddress() != null) {
      awaitingReply.put(message.replyAddress(), known);
    }
    return MessageSignatures.Verdict.from(known.sender.identity());
  }

  /** Tags a reply to a request this coordinator accepted with a MAC, for its requester only. */
  @Override
  public boolean tag(String address, String sent, MultiMap headers, Object body) {
    Session requester = awaitingReply.remove(address);
    if (requester == null) {
      return false;
    }
    String own = credential.sessionPublicKey();
    String number = Long.toString(credential.nextMessageNumber());
    headers.set(MessageMacs.SESSION, own);
    headers.set(MessageMacs.SEQUENCE, number);
    headers.set(MessageMacs.MAC, requester.keyId + "=" + MessageMacs.tag(requester.replyKey, number, own,
        requester.keyId, MessageSignatures.signed(address, sent, headers, body)));
    return true;
  }

  /** The session of {@code publicKey}, made when its member is live and vouched for it; else null. */
  private Session session(String publicKey) {
    Session known = sessions.get(publicKey);
    if (known != null) {
      return known;
    }
    if (publicKey.length() > 64) {
      return null;
    }
    Optional<SessionKeyClaim.Vouched> sender = members.apply(publicKey);
    if (sender.isEmpty()) {
      return null;
    }
    Session fresh;
    try {
      byte[] secret = credential.agree(Base64.getDecoder().decode(publicKey));
      String own = credential.sessionPublicKey();
      fresh = new Session(sender.get(), MessageMacs.messageKey(secret, clusterName, publicKey, own),
          MessageMacs.replyKey(secret, clusterName, publicKey, own));
    } catch (IllegalArgumentException unusable) {
      return null;
    }
    long now = clock.millis();
    sessions.values().removeIf(s -> now - s.used > FORGET_AFTER_MILLIS);
    fresh.used = now;
    Session raced = sessions.putIfAbsent(publicKey, fresh);
    return raced != null ? raced : fresh;
  }
}
