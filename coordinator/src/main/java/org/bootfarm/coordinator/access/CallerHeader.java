package org.bootfarm.coordinator.access;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.Optional;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * Who an event-bus API call is made for, carried in message headers: written by the bridge (the caller of
 * the token it checked) and by a standby forwarding an HTTP call to the active coordinator, read by the
 * active coordinator's API consumers. The only class that reads or writes these headers.
 *
 * <p>A call without the headers is a cluster member's own call (a {@code FarmClient}, a worker, a tool
 * that joined the cluster), and it is {@link #MEMBER}: {@code admin}, as every member's call was before
 * tokens, because membership of the cluster is today its own credential. This is the place where member
 * identity will be checked: once members carry certificates, only a coordinator may relay a caller (the
 * headers of any other member are then refused) and a member's own role comes from its certificate.
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
