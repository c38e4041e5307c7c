package org.bootfarm.cluster.identity;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;

/**
 * One node's side of the MAC sessions between coordinators and the workers and clients (ADR 0050): it tags
 * what it sends in a session when it has one for the message, and says who tagged a message it received.
 * A coordinator's side is {@link SenderSessions}, a worker's or client's {@link CoordinatorSessions}.
 */
public interface MacSessions {
  /**
   * Puts the session, its next sequence number and the tags on a message whose other headers, address,
   * send time ({@link MessageSignatures#SENT}, set already) and body are final; false, adding nothing,
   * when this side has no session for it (the caller signs it instead).
   */
  boolean tag(String address, String sent, MultiMap headers, Object body);

  /** Who tagged {@code message} (it has a {@link MessageMacs#MAC} header and was sent at {@code sent}), or why no one. */
  MessageSignatures.Verdict verify(Message<?> message, String sent);
}
