package org.bootfarm.coordinator.access;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.protocol.api.v1.ApiError;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.Optional;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * Who an event-bus API call is made for, carried in message headers: written by the bridge (the caller of
 * the token it checked) and by a standby forwarding an HTTP call to the active coordinator, read by the
 * active coordinator's API consumers. The only class that reads or writes these headers.
 *
 * <p>Who may name a caller is decided by the sender's farm certificate ({@link #read(Message, SenderCheck)},
 * ADR 0031): only a coordinator relays a caller (the bridge and a standby run on coordinators); any other
 * member calls for itself, a clustered client with role {@code submit}, a worker with {@code read}, a
 * coordinator's own call with {@code admin}; an unsigned call is refused, and so is a signed one sent again (its
 * nonce seen already, ADR 0064), so a caller a coordinator named is believed for one call. In a cluster without
 * certificates (one-JVM tests) a call without the headers is {@link #MEMBER}.
 */
public final class CallerHeader {
  static final String NAME = "bootfarm-caller";
  static final String ROLE = "bootfarm-caller-role";
  /** Who a call without caller headers is made by: a member of the cluster, trusted as an admin for now. */
  public static final Caller MEMBER = new Caller("cluster-member", AccessRole.ADMIN);

  private CallerHeader() {
  }

  /** Adds {@code caller} to a message's delivery options. */
  public static DeliveryOptions write(DeliveryOptions options, Caller caller) {
    return options.addHeader(NAME, caller.name()).addHeader(ROLE, caller.role().word());
  }

  /**
   * Who {@code message} was sent for, by its sender's certificate: a coordinator's relayed caller (else the
   * coordinator itself, admin), a client member itself (submit), a worker itself (read).
   *
   * @throws ApiException {@code UNAUTHORIZED} for a message no farm member signed, {@code FORBIDDEN} for caller
   *     headers from a member that is no coordinator
   */
  public static Caller read(Message<?> message, SenderCheck senders) throws ApiException {
    if (!senders.secured()) {
      return read(message.headers());
    }
    Optional<MemberIdentity> sender = senders.identify(message, "an API call");
    if (sender.isEmpty()) {
      throw new ApiException(ApiError.Code.UNAUTHORIZED, "an event-bus API call must be signed with a farm member's"
          + " certificate (ADR 0031), each message once (ADR 0064); this one was refused: " + senders.refusal(message)
          + "; clients without a certificate use the bridge or HTTP with a token");
    }
    MemberIdentity who = sender.get();
    boolean relayed = message.headers() != null && message.headers().contains(NAME);
    if (who.role() == NodeRole.COORDINATOR) {
      return relayed ? read(message.headers()) : new Caller(who.name(), AccessRole.ADMIN);
    }
    if (relayed) {
      senders.refuse(message, who, "an API call relaying a caller", "only a coordinator relays a caller");
      throw new ApiException(ApiError.Code.FORBIDDEN, who + " named a caller for its call; only a coordinator"
          + " relays callers (the bridge, a standby), a member calls for itself");
    }
    return new Caller(who.name(), who.role() == NodeRole.CLIENT ? AccessRole.SUBMIT : AccessRole.READ);
  }

  /** The caller a message was sent for; {@link #MEMBER} when it carries no (readable) caller headers. */
  public static Caller read(MultiMap headers) {
    String name = headers == null ? null : headers.get(NAME);
    Optional<AccessRole> role = headers == null ? Optional.empty() : AccessRole.ofWord(headers.get(ROLE));
    if (name == null || name.isBlank() || role.isEmpty()) {
      return MEMBER;
    }
    return new Caller(name, role.get());
  }
}
