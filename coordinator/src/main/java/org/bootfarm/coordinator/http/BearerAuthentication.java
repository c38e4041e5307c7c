package org.bootfarm.coordinator.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import org.bootfarm.coordinator.access.ApiPermissions;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.coordinator.access.LiveTokens;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * The HTTP API's check of who calls, ahead of every route and before any body is read: the request's
 * {@code Authorization: Bearer <token>} must be a token of the tokens file ({@code 401}, with {@code
 * WWW-Authenticate: Bearer realm="bootfarm"}, when it is missing or unknown), and its client's role must
 * allow what {@link ApiPermissions} says the method and path need ({@code 403} naming both roles). The
 * caller is then left in the routing context for the route ({@link #caller}). Each refusal is logged once,
 * with the client's name or the remote address (never the token), and counted.
 */
final class BearerAuthentication implements Handler<RoutingContext> {
  private static final System.Logger LOG = System.getLogger(BearerAuthentication.class.getName());
  private static final String CALLER = "bootfarm.caller";
  static final String CHALLENGE = "Bearer realm=\"bootfarm\"";

  private final LiveTokens tokens;
  private final ApiRefusals refusals;
  private final boolean protectMetrics;

  BearerAuthentication(LiveTokens tokens, ApiRefusals refusals, boolean protectMetrics) {
    this.tokens = tokens;
    this.refusals = refusals;
    this.protectMetrics = protectMetrics;
  }

  /** The caller this handler let through; null on an open route. */
  static Caller caller(RoutingContext context) {
    return context.get(CALLER);
  }

  /**
   * Who an upload counts against for the per-client upload limit (ADR 0041): the caller's client name at the
   * address it calls from, so that workers sharing the {@code workers} token each have their own allowance and
   * one client cannot take every upload thread from one machine; the address alone on an open route.
   */
  static String uploader(RoutingContext context) {
    Caller caller = caller(context);
    String address = context.request().remoteAddress() == null ? "?" : context.request().remoteAddress().hostAddress();
    return caller == null ? address : "'" + caller.client() + "' at " + address;
  }

  @Override
  public void handle(RoutingContext context) {
    HttpServerRequest request = context.request();
    Optional<ApiPermissions.Permission> needed = ApiPermissions.forHttp(request.method().name(), request.path(),
        protectMetrics);
    if (needed.isEmpty()) {
      context.next();
      return;
    }
    String header = request.getHeader("Authorization");
    String token = bearerToken(header);
    Optional<Caller> caller = token == null ? Optional.empty() : tokens.callerOf(token);
    if (caller.isEmpty()) {
      String what = header == null ? "no Authorization: Bearer token"
          : token == null ? "an Authorization header that is not 'Bearer <token>'"
          : "a Bearer token that is not in the tokens file (revoked or mistyped)";
      // the tokens file's path is the operator's to read in the log, not a caller's without a credential
      LOG.log(System.Logger.Level.WARNING, "http {0} {1} from {2} refused: {3} (tokens file {4})", request.method(),
          request.path(), request.remoteAddress(), what, tokens.file());
      refusals.count(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.UNAUTHENTICATED);
      request.response().putHeader("WWW-Authenticate", CHALLENGE);
      ApiHttpServer.refuseUnread(context, new ApiError(ApiError.Code.UNAUTHORIZED, request.method() + " "
          + request.path() + " came with " + what + "; give the token of a client in the coordinator's tokens file"
          + " as 'Authorization: Bearer <token>' (ask the farm's operator for one)", List.of()));
      return;
    }
    if (!caller.get().may(needed.get().role())) {
      LOG.log(System.Logger.Level.WARNING, "http {0} {1} by client ''{2}'' ({3}) refused: role {4}, needs {5}",
          request.method(), request.path(), caller.get().client(), request.remoteAddress(), caller.get().role().word(),
          needed.get().role().word());
      refusals.count(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.FORBIDDEN);
      ApiHttpServer.refuseUnread(context, ApiPermissions.forbidden(caller.get(), needed.get()));
      return;
    }
    context.put(CALLER, caller.get());
    context.next();
  }

  /** The token of an {@code Authorization: Bearer <token>} header; null for any other header. */
  static String bearerToken(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).strip();
    return token.isEmpty() ? null : token;
  }
}
