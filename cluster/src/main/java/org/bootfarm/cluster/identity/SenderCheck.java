package org.bootfarm.cluster.identity;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;

/**
 * The one rule a consumer applies before it acts on a message whose sender matters: who may send
 * what, by the sender's verified certificate ({@link MessageSignatures}), never by a body field.
 * Coordinators are the farm's authority and may send anything (an embedded farm's workers share its
 * coordinator's node, and so its certificate); a worker speaks only for itself. Each refusal is
 * logged and counted as {@link ClusterRefusals.Reason#UNAUTHENTICATED_MESSAGE}.
 */
public final class SenderCheck {
  /** For clusters inside one test JVM, run without certificates: every sender is taken at its word. */
  public static final SenderCheck UNSECURED = new SenderCheck(MessageSignatures.UNSECURED, null);

  private final MessageSignatures signatures;
  private final ClusterRefusals refusals;

  public SenderCheck(MessageSignatures signatures, ClusterRefusals refusals) {
    this.signatures = signatures;
    this.refusals = refusals;
  }

  /** Whether senders are checked (every node the commands start has a farm certificate). */
  public boolean secured() {
    return signatures.secured();
  }

  /** The verified sender of {@code message}; empty when unsigned, forged, or in an unsecured cluster. */
  public Optional<MemberIdentity> sender(Message<?> message) {
    return signatures.sender(message);
  }

  /**
   * The verified sender of {@code message} (described by {@code what} in the log); when there is none in a
   * farm with certificates, the refusal is logged and counted here, so a caller only decides what to answer.
   * Empty, uncounted, in an unsecured cluster.
   */
  public Optional<MemberIdentity> identify(Message<?> message, String what) {
    if (!secured()) {
      return Optional.empty();
    }
    return identify(signatures.check(message), what + " on " + message.address());
  }

  /** The sender {@code verdict} names; when none, the refusal of {@code what} is logged and counted. */
  private Optional<MemberIdentity> identify(MessageSignatures.Verdict verdict, String what) {
    if (verdict.sender().isEmpty()) {
      refusals.refuse(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE, what
          + " has no farm member's valid signature or MAC: " + verdict.refusal() + "; ignored");
    }
    return verdict.sender();
  }

  /**
   * Why {@code message} has no verified sender, as its refusal was logged ({@link #identify}); null when it has one
   * or in an unsecured cluster. For an answer that says what was refused.
   */
  public String refusal(Message<?> message) {
    return secured() ? signatures.check(message).refusal() : null;
  }

  /**
   * Logs and counts {@code what}, sent by {@code who}, as a message {@code who} may not send; {@code rule}
   * says who may.
   */
  public void refuse(Message<?> message, MemberIdentity who, String what, String rule) {
    refuse(who, what + " on " + message.address(), rule);
  }

  private void refuse(MemberIdentity who, String what, String rule) {
    refusals.refuse(ClusterRefusals.Reason.UNAUTHENTICATED_MESSAGE, what + " came from " + who
        + ", who may not send it (" + rule + "); ignored");
  }

  /**
   * Whether {@code message} (described by {@code what} in the log) came from a coordinator, or from
   * the worker named {@code worker} (null: from no worker at all).
   */
  public boolean fromCoordinatorOr(Message<?> message, String worker, String what) {
    if (!secured()) {
      return true;
    }
    return fromCoordinatorOr(signatures.check(message), worker, what + " on " + message.address());
  }

  private boolean fromCoordinatorOr(MessageSignatures.Verdict verdict, String worker, String what) {
    Optional<MemberIdentity> sender = identify(verdict, what);
    if (sender.isEmpty()) {
      return false;
    }
    MemberIdentity who = sender.get();
    if (who.role() == NodeRole.COORDINATOR || (worker != null && who.role() == NodeRole.WORKER
        && who.name().equals(worker))) {
      return true;
    }
    refuse(who, what, worker == null ? "only a coordinator may" : "only worker '" + worker
        + "' or a coordinator may");
    return false;
  }

  /** Whether {@code message} came from a coordinator of this farm. */
  public boolean fromCoordinator(Message<?> message, String what) {
    return fromCoordinatorOr(message, null, what);
  }

  /**
   * Whether the refusal {@code failure} that answered one of this node's requests (described by {@code what} in the
   * log) came from a coordinator of this farm ({@link MessageSignatures#refusedBy}); else it is logged and counted.
   */
  public boolean refusedByCoordinator(ReplyException failure, String what) {
    return !secured() || fromCoordinatorOr(signatures.refusedBy(failure), null, what);
  }

  /** Why the refusal {@code failure} has no verified sender ({@link #refusedByCoordinator}); null when it has one. */
  public String refusalOf(ReplyException failure) {
    return secured() ? signatures.refusedBy(failure).refusal() : null;
  }

  /** Who sent the refusal {@code failure}, when known; for the log of a requester that does not believe it. */
  public Optional<MemberIdentity> refuser(ReplyException failure) {
    return secured() ? signatures.refusedBy(failure).sender() : Optional.empty();
  }
}
