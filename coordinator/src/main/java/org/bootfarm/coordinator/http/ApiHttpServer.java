package org.bootfarm.coordinator.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.bootfarm.cluster.NodeMetrics;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.FarmApi;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.coordinator.access.LiveTokens;
import org.bootfarm.coordinator.bus.CommitWaiters;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.cas.BoundedRequestBody;
import org.bootfarm.coordinator.cas.UnreadBodyClose;
import org.bootfarm.coordinator.nightly.NightlyApi;
import org.bootfarm.coordinator.nightly.NightlyPage;
import org.bootfarm.coordinator.retention.StoreCollection;
import org.bootfarm.coordinator.verdict.VerdictPage;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.SigningKeyInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The coordinator's small HTTP API for scripts and curl, as routes on a Vert.x Web {@link Router}:
 * {@code POST /api/v1/builds}, {@code GET /api/v1/builds/{id}}, {@code GET /api/v1/builds?repo=&state=&limit=},
 * {@code PUT} and {@code DELETE /api/v1/builds/{id}/pin}, {@code POST /api/v1/builds/{id}/rebuild} (201 and the
 * new build, ADR 0037), {@code POST /api/v1/builds/{id}/cancel} (a running
 * build's worker is told to stop it), {@code GET /api/v1/workers},
 * {@code GET /api/v1/repos}, {@code GET /api/v1/keys} (the provenance public keys, ADR 0044), the artifact endpoint and
 * {@code GET /health}. Every call but {@code GET /health} (and {@code GET /metrics}, unless protected) needs
 * a token of the tokens file whose role allows it ({@link BearerAuthentication}), checked after the Host and
 * before any body is read. It only translates: every decision is {@link BuildCoordinator}'s, run on a
 * worker thread because the store writes to disk. Every refusal is an {@link ApiError} body. On a
 * standby coordinator the calls go to the active one over the event bus (a {@link FarmApi} that
 * forwards), with the same answers.
 */
public final class ApiHttpServer {
  /** Largest request body accepted outside the artifact endpoint. */
  public static final int MAX_BODY_BYTES = Addresses.MAX_REQUEST_BYTES;
  private static final String BUILDS = "/api/v1/builds";
  private static final String PIN = "/pin";
  private static final String CANCEL = "/cancel";
  private static final String NIGHTLY = "/api/v1/nightly";
  private static final String PAIRS = "/api/v1/pairs/";
  private static final String VERIFY = "/verify";

  private final Vertx vertx;
  private final FarmApi coordinator;
  private final ArtifactHttpEndpoint artifacts;
  private final NightlyApi nightly;
  private Callable<String> metrics;
  private LiveTokens tokens;
  private ApiRefusals refusals = ApiRefusals.uncounted();
  private boolean protectMetrics;
  private StoreCollection collection;
  private Callable<List<SigningKeyInfo>> keys = List::of;
  private WorkerExecutor commitWaiters; // submissions wait for their group commit here, not on Vert.x's 20 workers

  public ApiHttpServer(Vertx vertx, FarmApi coordinator, ArtifactHttpEndpoint artifacts) {
    this(vertx, coordinator, artifacts, null);
  }

  /**
   * With the nightly calls too: {@code GET /api/v1/nightly} (the runs), {@code POST /api/v1/nightly} (a run
   * now), {@code GET /api/v1/nightly/latest} and {@code /api/v1/nightly/{id}} (JSON), {@code GET
   * /api/v1/pairs/{id}}, {@code POST /api/v1/builds/{id}/verify}, and the HTML pages {@code GET
   * /nightly/latest}, {@code /nightly/{id}} and {@code /verdicts/{pair}} (null: none of them).
   */
  public ApiHttpServer(Vertx vertx, FarmApi coordinator, ArtifactHttpEndpoint artifacts, NightlyApi nightly) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.artifacts = artifacts;
    this.nightly = nightly;
  }

  /**
   * Serves {@code GET /metrics}: the Prometheus text {@code scrape} renders, run on a worker thread (it may
   * read the stores). Call before {@link #listen}.
   */
  public ApiHttpServer withMetrics(Callable<String> scrape) {
    this.metrics = scrape;
    return this;
  }

  /**
   * Serves {@code POST /api/v1/gc} ({@code ?dryRun=true}: only count): a collection of this coordinator's own
   * artifact store now, answered as a {@code CollectionReport}. Call before {@link #listen}.
   */
  public ApiHttpServer withCollection(StoreCollection collection) {
    this.collection = collection;
    return this;
  }

  /** Serves {@code GET /api/v1/keys}: the farm's provenance public keys, current and retired (ADR 0044). */
  public ApiHttpServer withKeys(Callable<List<SigningKeyInfo>> publicKeys) { this.keys = publicKeys; return this; }

  /**
   * Checks every call's token against {@code tokens} (required before {@link #listen}), counts refusals in
   * {@code refusals}, and with {@code protectMetrics} asks a {@code read} token for {@code GET /metrics} too.
   */
  public ApiHttpServer withAccess(LiveTokens tokens, ApiRefusals refusals, boolean protectMetrics) {
    this.tokens = tokens;
    this.refusals = refusals;
    this.protectMetrics = protectMetrics;
    return this;
  }

  /** Starts listening; the future completes with the bound server (port 0 picks a free one). */
  public Future<HttpServer> listen(String host, int port) {
    return listen(host, port, null);
  }

  /** {@link #listen(String, int)} over HTTPS with {@code https} (null: plain HTTP). */
  public Future<HttpServer> listen(String host, int port, HttpsIdentity https) {
    if (tokens == null) {
      throw new IllegalStateException("the HTTP API needs a tokens file to check its callers: call withAccess");
    }
    commitWaiters = commitWaiters == null ? CommitWaiters.open(vertx) : commitWaiters;
    return (https == null ? vertx.createHttpServer() : vertx.createHttpServer(https.serverOptions()))
        .requestHandler(router(RequestOrigin.isLoopbackBind(host))).listen(port, host);
  }

  /**
   * Every call this server answers, tried in this order; the first route that matches answers. A path that is not
   * in its canonical form is refused first ({@link CanonicalPath}); then paths match as the client sent them,
   * exactly as {@link BearerAuthentication} decided their permission on them, and an id is the text between a
   * path's fixed parts, undecoded. Any other method or path is a {@code NOT_FOUND} naming it.
   */
  private Router router(boolean loopbackOnly) {
    Router router = Router.router(vertx);
    if (loopbackOnly) {
      router.route().handler(context -> {
        io.vertx.core.net.HostAndPort authority = context.request().authority();
        String host = authority == null ? context.request().getHeader("Host") : authority.host();
        if (RequestOrigin.loopbackHost(host)) {
          context.next();
        } else {
          refusals.count(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.MISDIRECTED);
          refuseUnread(context, new ApiError(ApiError.Code.MISDIRECTED, "this coordinator listens on a loopback"
              + " address and answers only requests addressed to it (localhost, 127.0.0.1, [::1]), not to Host '"
              + host + "'; to serve other machines start it with --http-host set to their network's address",
              List.of()));
        }
      });
    }
    router.route().handler(new CanonicalPath(refusals));
    router.route().handler(new BearerAuthentication(tokens, refusals, protectMetrics));
    artifacts.mount(router, BearerAuthentication::uploader);
    if (nightly != null) {
      nightlyRoutes(router);
    }
    if (metrics != null) {
      exactly(router, HttpMethod.GET, "/metrics").handler(context -> scrapeMetrics(context.request()));
    }
    if (collection != null) {
      exactly(router, HttpMethod.POST, "/api/v1/gc").handler(context -> answer(context.request(), 200,
          () -> collection.collect("true".equals(context.request().getParam("dryRun")))));
    }
    exactly(router, HttpMethod.GET, "/api/v1/keys")
        .handler(context -> answer(context.request(), 200, () -> Map.of("keys", keys.call())));
    exactly(router, HttpMethod.GET, "/health").handler(context -> reply(context.request(), 200, Map.of("ok", true)));
    exactly(router, HttpMethod.POST, BUILDS).handler(this::submit);
    exactly(router, HttpMethod.GET, BUILDS).handler(context -> list(context.request()));
    withId(router, HttpMethod.PUT, BUILDS + "/", PIN, (context, id) -> readBody(context.request(), PinRequest.class,
        pin -> answer(context.request(), 200, () -> coordinator.pin(caller(context), id, pin))));
    withId(router, HttpMethod.DELETE, BUILDS + "/", PIN, (context, id) ->
        answer(context.request(), 200, () -> coordinator.unpin(caller(context), id)));
    withId(router, HttpMethod.POST, BUILDS + "/", "/rebuild", (context, id) ->
        answer(context.request(), 201, () -> coordinator.rebuild(caller(context), id)));
    withId(router, HttpMethod.POST, BUILDS + "/", CANCEL, (context, id) ->
        answer(context.request(), 200, () -> coordinator.cancel(caller(context), id)));
    withId(router, HttpMethod.GET, BUILDS + "/", "", (context, id) ->
        answer(context.request(), 200, () -> coordinator.get(id)));
    exactly(router, HttpMethod.GET, "/api/v1/workers")
        .handler(context -> answer(context.request(), 200, () -> Map.of("workers", coordinator.workers())));
    exactly(router, HttpMethod.GET, "/api/v1/repos")
        .handler(context -> answer(context.request(), 200, () -> Map.of("repos", coordinator.repos())));
    router.route().handler(context -> notFound(context.request()));
    // the router refuses a path that does not start with "/" before any route sees it
    router.errorHandler(404, context -> notFound(context.request()));
    return router;
  }

  /** The nightly, pair and verify calls and the HTML pages. */
  private void nightlyRoutes(Router router) {
    exactly(router, HttpMethod.GET, NIGHTLY).handler(context -> {
      String limit = context.request().getParam("limit");
      int count = limit != null && limit.matches("\\d{1,4}") ? Integer.parseInt(limit) : 20;
      answer(context.request(), 200, () -> Map.of("runs", nightly.list(count)));
    });
    exactly(router, HttpMethod.POST, NIGHTLY)
        .handler(context -> answer(context.request(), 201, () -> nightly.runNow(caller(context))));
    exactly(router, HttpMethod.GET, NIGHTLY + "/latest")
        .handler(context -> answer(context.request(), 200, nightly::latest));
    withId(router, HttpMethod.GET, NIGHTLY + "/", "", (context, id) ->
        answer(context.request(), 200, () -> nightly.get(id)));
    withId(router, HttpMethod.GET, PAIRS, "", (context, id) -> answer(context.request(), 200, () -> nightly.pair(id)));
    withId(router, HttpMethod.POST, BUILDS + "/", VERIFY, (context, id) ->
        answer(context.request(), 201, () -> nightly.verify(caller(context), id)));
    exactly(router, HttpMethod.GET, "/nightly/latest")
        .handler(context -> page(context.request(), () -> NightlyPage.render(nightly.latest())));
    withId(router, HttpMethod.GET, "/nightly/", "", (context, id) ->
        page(context.request(), () -> NightlyPage.render(nightly.get(id))));
    withId(router, HttpMethod.GET, "/verdicts/", "", (context, id) -> page(context.request(), () -> {
      ReproducibilityPair pair = nightly.pair(id);
      return pair.verdict() == null ? NightlyPage.pending(pair) : VerdictPage.render(pair.verdict());
    }));
  }

  /** A route for exactly {@code path} as sent: no normalizing, no trailing slash ignored. */
  private static Route exactly(Router router, HttpMethod method, String path) {
    return router.routeWithRegex(method, Pattern.quote(path)).useNormalizedPath(false);
  }

  /**
   * A route for {@code prefix}, any text, then {@code suffix}; {@code handler} gets that text, as sent
   * (undecoded), as the id.
   */
  private static void withId(Router router, HttpMethod method, String prefix, String suffix,
      BiConsumer<RoutingContext, String> handler) {
    String regex = "(?s)" + Pattern.quote(prefix) + ".*" + (suffix.isEmpty() ? "" : Pattern.quote(suffix));
    router.routeWithRegex(method, regex).useNormalizedPath(false).handler(context -> {
      String path = context.request().path();
      handler.accept(context, path.substring(prefix.length(), path.length() - suffix.length()));
    });
  }

  private void notFound(HttpServerRequest request) {
    refuse(request, new ApiError(ApiError.Code.NOT_FOUND, request.method() + " " + request.path()
        + " is not an API call; see GET /api/v1/builds, /api/v1/repos, /api/v1/workers, /health", List.of()));
  }

  private void scrapeMetrics(HttpServerRequest request) {
    vertx.executeBlocking(metrics, false).onComplete(scraped -> {
      if (scraped.succeeded()) {
        request.response().putHeader("Content-Type", NodeMetrics.CONTENT_TYPE)
            .end(scraped.result());
      } else {
        request.response().setStatusCode(500).putHeader("Content-Type", "text/plain; charset=utf-8")
            .end("metrics could not be read: " + scraped.cause() + "\n");
      }
    });
  }

  private void list(HttpServerRequest request) {
    BuildQuery query;
    try {
      query = query(request);
    } catch (ApiException e) {
      refuse(request, e.error());
      return;
    }
    answer(request, 200, () -> Map.of("builds", coordinator.list(query)));
  }

  /** Runs a call that renders an HTML page on a worker thread; a refusal is a short page with its message. */
  private void page(HttpServerRequest request, Callable<String> render) {
    vertx.executeBlocking(render, false).onComplete(result -> {
      if (request.response().ended()) {
        return;
      }
      int status = 200;
      String html;
      if (result.succeeded()) {
        html = result.result();
      } else {
        ApiError error = result.cause() instanceof ApiException refused ? refused.error()
            : new ApiError(ApiError.Code.INTERNAL, String.valueOf(result.cause()), List.of());
        status = error.code().httpStatus();
        html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" + status
            + "</title></head>\n<body><p>" + VerdictPage.escape(error.message()) + "</p></body>\n</html>\n";
      }
      request.response().setStatusCode(status).putHeader("Content-Type", "text/html; charset=utf-8").end(html);
    });
  }

  /** Reads the body up to {@link #MAX_BODY_BYTES}, then submits it for its caller. */
  private void submit(RoutingContext context) {
    readBody(context.request(), SubmitRequest.class, submission ->
        answer(context.request(), 201, () -> Map.of("id", coordinator.submit(caller(context), submission)),
            commitWaiters));
  }

  /** Who the call is for, as {@link BearerAuthentication} let it through. */
  private static Caller caller(RoutingContext context) {
    return BearerAuthentication.caller(context);
  }

  /**
   * Reads a JSON body of at most {@link #MAX_BODY_BYTES} as a version-1 message and hands it on;
   * a body that is too large or not such a message is refused instead.
   */
  private <T> void readBody(HttpServerRequest request, Class<T> type, Consumer<T> then) {
    if (!RequestOrigin.isJson(request.getHeader("Content-Type"))) {
      refusals.count(ApiRefusals.Interface.HTTP, ApiRefusals.Reason.UNSUPPORTED_MEDIA_TYPE);
      refuse(request, new ApiError(ApiError.Code.UNSUPPORTED_MEDIA_TYPE, request.method() + " " + request.path()
          + " reads a JSON body, but its Content-Type is '" + request.getHeader("Content-Type")
          + "': send it with Content-Type: application/json", List.of()));
      return;
    }
    BoundedRequestBody.read(request, MAX_BODY_BYTES, body -> {
      T message;
      try {
        message = WireJson.read(body.toString(), type);
      } catch (WireJson.WireFormatException e) {
        refuse(request, new ApiError(ApiError.Code.BAD_REQUEST, e.getMessage(), List.of()));
        return;
      }
      then.accept(message);
    }, () -> tooLarge(request));
  }

  /**
   * Answers 413 and closes the connection without keeping the rest of the body (Vert.x would otherwise receive all of
   * it, however large, to reuse the connection), once the client has sent it or after {@link UnreadBodyClose}'s
   * bounds: closing with unread bytes resets the connection, and a client still sending would lose the answer.
   */
  private void tooLarge(HttpServerRequest request) {
    if (request.response().ended()) {
      return;
    }
    ApiError error = new ApiError(ApiError.Code.TOO_LARGE,
        "request body over " + MAX_BODY_BYTES + " bytes; a request to this API is a small JSON object", List.of());
    UnreadBodyClose.markLast(request);
    request.response().setStatusCode(error.code().httpStatus()).putHeader("Content-Type", "application/json")
        .end(WireJson.write(error) + "\n")
        .onComplete(done -> UnreadBodyClose.close(vertx, request));
  }

  private static BuildQuery query(HttpServerRequest request) throws ApiException {
    String state = request.getParam("state");
    String limit = request.getParam("limit");
    try {
      return new BuildQuery(request.getParam("repo"),
          state == null || state.isEmpty() ? null : BuildState.valueOf(state),
          limit == null || limit.isEmpty() ? null : Integer.valueOf(limit));
    } catch (IllegalArgumentException e) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "state must be one of "
          + List.of(BuildState.values()) + " and limit a number; got state=" + state + " limit=" + limit);
    }
  }

  /** Runs a coordinator call on a worker thread and answers its result or its refusal. */
  private void answer(HttpServerRequest request, int status, Callable<Object> call) {
    answer(request, status, call, null);
  }

  /** {@link #answer(HttpServerRequest, int, Callable)} on {@code pool} (null: Vert.x's worker threads). */
  private void answer(HttpServerRequest request, int status, Callable<Object> call, WorkerExecutor pool) {
    (pool == null ? vertx.executeBlocking(call, false) : pool.executeBlocking(call, false)).onComplete(result -> {
      if (result.succeeded()) {
        reply(request, status, result.result());
      } else if (result.cause() instanceof ApiException refused) {
        refuse(request, refused.error());
      } else {
        refuse(request, new ApiError(ApiError.Code.INTERNAL, String.valueOf(result.cause()), List.of()));
      }
    });
  }

  /**
   * Answers a refusal given before the request's body is read (by the Host, the path, the token); a request that came
   * with a body ends its connection once the client has sent that body ({@link UnreadBodyClose}), so that the server
   * does not go on receiving a body it will never read, and the client, still sending, reads the refusal rather than a
   * reset.
   */
  static void refuseUnread(RoutingContext context, ApiError error) {
    HttpServerRequest request = context.request();
    String length = request.getHeader("Content-Length");
    boolean body = request.getHeader("Transfer-Encoding") != null || (length != null && !length.equals("0"));
    if (body) {
      UnreadBodyClose.markLast(request);
    }
    request.response().setStatusCode(error.code().httpStatus()).putHeader("Content-Type", "application/json")
        .end(WireJson.write(error) + "\n").onComplete(done -> {
          if (body) {
            UnreadBodyClose.close(context.vertx(), request);
          }
        });
  }

  private static void refuse(HttpServerRequest request, ApiError error) {
    reply(request, error.code().httpStatus(), error);
  }

  private static void reply(HttpServerRequest request, int status, Object body) {
    if (request.response().ended()) {
      return;
    }
    request.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(WireJson.write(body) + "\n");
  }
}
