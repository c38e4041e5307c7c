package org.bootfarm.cluster.identity;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;
import java.security.cert.CertificateException;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A worker's or client's sessions with the live coordinators (ADR 0050): for each coordinator whose
 * session key its coordinator certificate vouched for, a key for the messages to it and one for its
 * replies, agreed once when the coordinator is seen. Every message this node sends carries its session's
 * next number ({@link MemberCredential#nextMessageNumber}) and a tag for each coordinator; a coordinator
 * checks the one meant for it. A reply a coordinator tagged for this node is accepted once, as that
 * coordinator's. A key toward one coordinator is no key toward another, nor a coordinator's toward anyone.
 */
public final class CoordinatorSessions implements MacSessions {
  private record Session(SessionKeyClaim.Vouched coordinator, String keyId, byte[] key, byte[] replyKey,
      ReplayWindow replies) {}

  private final MemberCredential credential;
  private final String clusterName;
  private final String ownKeyId;
  /** The live member whose vouched claim names a session key: who a refused MAC says it is, for the log. */
  private final Function<String, Optional<MemberIdentity>> claimedBy;
  private volatile Map<String, Session> sessions = Map.of();
  private volatile List<Session> targets = List.of();

  public CoordinatorSessions(MemberCredential credential, String clusterName) {
    this(credential, clusterName, key -> Optional.empty());
  }

  /**
   * @param claimedBy the live member whose verified {@link SessionKeyClaim} names a session key (base64): a refusal of
   *     a MAC in another member's session names that member (ADR 0064)
   */
  public CoordinatorSessions(MemberCredential credential, String clusterName,
      Function<String, Optional<MemberIdentity>> claimedBy) {
    this.credential = credential;
    this.clusterName = clusterName;
    this.ownKeyId = MessageMacs.keyId(credential.sessionPublicKey());
    this.claimedBy = claimedBy;
  }

  /** The live coordinators now, each with its vouched session key; sessions of coordinators gone are dropped. */
  public synchronized void coordinators(Collection<SessionKeyClaim.Vouched> coordinators) {
    Map<String, Session> next = new LinkedHashMap<>();
    for (SessionKeyClaim.Vouched coordinator : coordinators) {
      String key = coordinator.publicKey();
      Session session = sessions.get(key);
      if (session == null) {
        try {
          byte[] secret = credential.agree(Base64.getDecoder().decode(key));
          String own = credential.sessionPublicKey();
          session = new Session(coordinator, MessageMacs.keyId(key),
              MessageMacs.messageKey(secret, clusterName, own, key),
              MessageMacs.replyKey(secret, clusterName, own, key), new ReplayWindow());
        } catch (IllegalArgumentException unusable) {
          continue; // vouched for by a coordinator certificate, yet no key: nothing to agree with it
        }
      }
      next.put(key, session);
    }
    sessions = next;
    targets = List.copyOf(next.values());
  }

  /** How many coordinators this node's messages carry a tag for. */
  public int size() {
    return targets.size();
  }

  @Override
  public boolean tag(String address, String sent, MultiMap headers, Object body) {
    List<Session> now = targets;
    if (now.isEmpty()) {
      return false;
    }
    byte[] covered = MessageSignatures.signed(address, sent, headers, body);
    String session = credential.sessionPublicKey();
    String number = Long.toString(credential.nextMessageNumber());
    StringBuilder tags = new StringBuilder(now.size() * 36);
    for (Session target : now) {
      if (!tags.isEmpty()) {
        tags.append(',');
      }
      tags.append(target.keyId()).append('=')
          .append(MessageMacs.tag(target.key(), number, session, target.keyId(), covered));
    }
    headers.set(MessageMacs.SESSION, session);
    headers.set(MessageMacs.SEQUENCE, number);
    headers.set(MessageMacs.MAC, tags.toString());
    return true;
  }

  @Override
  public MessageSignatures.Verdict verify(Message<?> message, String sent) {
    MultiMap headers = message.headers();
    String sender = headers.get(MessageMacs.SESSION);
    String sequence = headers.get(MessageMacs.SEQUENCE);
    if (sender == null || sequence == null || !MessageSignatures.NUMBER.matcher(sequence).matches()) {
      return MessageSignatures.Verdict.refused("its MAC comes without a session or sequence number");
    }
    Session session = sessions.get(sender);
    if (session == null) {
      String whose = sender.length() > 64 ? ""
          : claimedBy.apply(sender).map(member -> " but " + member + "'s, as that member's claim says").orElse("");
      return MessageSignatures.Verdict.refused("its session is no live coordinator's" + whose + " (only a"
          + " coordinator's reply to this node may carry a MAC here)");
    }
    Optional<String> tag = MessageMacs.entry(headers.get(MessageMacs.MAC), ownKeyId);
    if (tag.isEmpty()) {
      return MessageSignatures.Verdict.refused("it carries no MAC for this node (meant for another)");
    }
    try {
      session.coordinator().certificate().checkValidity();
    } catch (CertificateException expired) {
      return MessageSignatures.Verdict.refused("the certificate of its coordinator has expired");
    }
    String expected = MessageMacs.tag(session.replyKey(), sequence, sender, ownKeyId,
        MessageSignatures.signed(message.address(), sent, headers, message.body()));
    if (!MessageMacs.sameTag(expected, tag.get())) {
      return MessageSignatures.Verdict.refused("its MAC does not verify (altered, or not this node's session)");
    }
    String replay = session.replies().accept(Long.parseLong(sequence));
    return replay != null ? MessageSignatures.Verdict.refused("replayed: " + replay)
        : MessageSignatures.Verdict.from(session.coordinator().identity());
  }
}
