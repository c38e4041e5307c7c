package org.bootfarm.coordinator.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.protocol.api.v1.ApiError;

/**
 * The one spelling of a path the HTTP API answers, checked ahead of every route and before authentication: as sent,
 * the path must equal its normalized form (RFC 3986 dot segments removed, doubled slashes joined, percent-encoded
 * letters, digits and {@code -._~} decoded: what Vert.x matches a normalized route against) and end in no {@code /}
 * (which Vert.x's exact routes ignore). The permission a call needs is decided on the path as sent and every route
 * matches the path as sent; another spelling that a route normalized reached a call with the permission of a path
 * that is no call (ADR 0065). No farm client sends one, so it is refused with 400 naming the canonical spelling,
 * logged and counted, its body unread.
 */
final class CanonicalPath implements Handler<RoutingContext> {
  private static final System.Logger LOG = System.getLogger(CanonicalPath.class.getName());

  private final ApiRefusals refusals;

  CanonicalPath(ApiRefusals refusals) {
    this.refusals = refusals;
  }

  @Override
  public void handle(RoutingContext context) {
    String canonical = canonical(context);
    HttpServerRequest request = context.request();
    if (canonical.equals(request.path())) {
      context.next();
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "http {0} {1} from {2} refused: the path is not in its canonical form {3}",
        request.method(), request.path(), request.remoteAddress(), canonical);
    refusals.count(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.NON_CANONICAL_PATH);
    ApiHttpServer.refuseUnread(context, new ApiError(ApiError.Code.BAD_REQUEST, "the path '" + request.path()
        + "' is not in its canonical form '" + canonical + "': this API answers a path only as it is written, without"
        + " '.' or '..' segments, doubled or trailing slashes, or percent-encoded letters and digits", List.of()));
  }

  /** The canonical spelling of the request's path; {@code /} for one that cannot be normalized. */
  static String canonical(RoutingContext context) {
    String normalized;
    try {
      normalized = context.request().path() == null ? "/" : context.normalizedPath();
    } catch (IllegalArgumentException e) { // a '%' that starts no escape
      return "/";
    }
    return normalized.length() > 1 && normalized.endsWith("/")
        ? normalized.substring(0, normalized.length() - 1) : normalized;
  }
}
