package org.bootfarm.coordinator.cas;

import io.vertx.core.Context;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The HTTP face of the {@link ArtifactStore}, as routes on a Vert.x Web {@link Router}: {@code PUT},
 * {@code GET} and {@code HEAD} of {@code /api/v1/artifacts/{sha256}}. A thin adapter: uploads are
 * streamed from the event loop into {@link ArtifactStore#put} on a thread of the uploads' own bounded pool
 * (never the Vert.x worker pool the leases, reports and build store use) with back-pressure (the request is
 * paused while more than 4 MiB wait), within the {@link UploadLimits}; downloads are sent with {@code sendFile}.
 * Errors answer {@code {"error": "..."}}: 400 bad id or wrong content, 404 unknown object, 408 upload cut off
 * (deadline, minimum rate, idle), 413 too large, 429 the client's uploads at their limit and 503 every upload
 * thread busy (both with {@code Retry-After}), 507 the store's quota or its disk's reserve reached.
 */
public final class ArtifactHttpEndpoint {
  /** Path prefix this endpoint answers under. */
  public static final String PREFIX = "/api/v1/artifacts/";
  /** Any path under {@link #PREFIX}, matched as the client sent it. */
  private static final String ANY_ID = "(?s)" + Pattern.quote(PREFIX) + ".*";

  /**
   * The batch query of what the store lacks: {@code POST} a JSON array of sha256 hex strings, answered 200 with
   * the array of those the store holds no object of (in the order asked, without repeats). A worker asks it
   * before it archives a build's inputs, so a build of an unchanged repo uploads nothing.
   */
  public static final String MISSING = PREFIX + "missing";
  /** The most hashes one {@link #MISSING} query may ask about. */
  public static final int MISSING_MAX = 100_000;
  /**
   * The largest body of a {@link #MISSING} query: {@link #MISSING_MAX} hashes, each quoted and followed by a comma and a
   * space ({@code "<64 hex>", }: 68 bytes), in brackets. One larger is refused with 413 before it is read.
   */
  public static final long MISSING_MAX_BYTES = MISSING_MAX * 68L + 2;

  /** What a refused upload is told to wait before it tries again, in seconds. */
  static final int RETRY_AFTER_SECONDS = 5;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final Vertx vertx;
  private final ArtifactStore store;
  private final UploadLimits limits;
  private final WorkerExecutor pool;
  private final UploadSlots slots;
  private final UploadMeters meters;
  private final Consumer<ArtifactStore.PutResult> stored;

  /**
   * With the default {@link UploadLimits} but {@code uploadIdleTimeout}, its meters in a registry of its own.
   *
   * @param uploadIdleTimeout an upload that sends nothing for this long is abandoned (its thread freed, nothing
   *     stored)
   */
  public ArtifactHttpEndpoint(Vertx vertx, ArtifactStore store, Duration uploadIdleTimeout) {
    this(vertx, store, UploadLimits.DEFAULTS.withIdleTimeout(uploadIdleTimeout), new SimpleMeterRegistry(),
        stored -> { });
  }

  /**
   * @param limits how uploads are bounded: their pool, per-client limit, deadline, minimum rate and idle timeout
   *     (the store's space is the store's own, {@link ArtifactStore.Options#space})
   * @param registry where the uploads' meters go ({@link UploadMeters})
   * @param stored told (on the event loop) of every upload that ended with the object in the store,
   *     new or not: how other coordinators learn to copy it
   */
  public ArtifactHttpEndpoint(Vertx vertx, ArtifactStore store, UploadLimits limits, MeterRegistry registry,
      Consumer<ArtifactStore.PutResult> stored) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.stored = Objects.requireNonNull(stored, "stored");
    this.slots = new UploadSlots(limits.threads(), limits.perClient());
    this.meters = new UploadMeters(registry, slots::running);
    // an upload may run until its deadline: Vert.x's blocked-thread warning only after that
    this.pool = vertx.createSharedWorkerExecutor("bootfarm-uploads-" + POOLS.incrementAndGet(), limits.threads(),
        limits.deadline().plusMinutes(1).toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Closes the uploads' pool; uploads running are cut off as their connections close. */
  public void close() {
    pool.close();
  }

  /**
   * Adds this endpoint's routes to {@code router}, ahead of whatever is added after: {@code POST} of exactly {@link
   * #MISSING}, {@code PUT}, {@code GET} and {@code HEAD} of any path under {@link #PREFIX}, and 405 for any other
   * method there; every path matched as sent, never normalized (the id is the rest of the path, undecoded), as the
   * permission of the call was decided on it (ADR 0065). The routes read no body before the handler streams it.
   */
  public void mount(Router router) {
    mount(router, context -> String.valueOf(context.request().remoteAddress().hostAddress()));
  }

  /**
   * {@link #mount(Router)}, counting uploads per client as {@code clientOf} names the caller of a request (the
   * per-client limit of {@link UploadLimits#perClient}).
   */
  public void mount(Router router, Function<RoutingContext, String> clientOf) {
    router.routeWithRegex(HttpMethod.POST, Pattern.quote(MISSING)).useNormalizedPath(false).handler(this::missing);
    onAnyId(router).method(HttpMethod.PUT).handler(context -> put(context.request(), id(context),
        clientOf.apply(context)));
    onAnyId(router).method(HttpMethod.GET).handler(context -> get(context.request(), id(context), false));
    onAnyId(router).method(HttpMethod.HEAD).handler(context -> get(context.request(), id(context), true));
    onAnyId(router).handler(context -> {
      HttpServerRequest request = context.request();
      request.response().putHeader("Allow", "GET, HEAD, PUT");
      fail(request, 405, request.method() + " is not supported on " + PREFIX + "{sha256}; use GET, HEAD or PUT",
          true);
    });
  }

  private void missing(RoutingContext context) {
    HttpServerRequest request = context.request();
    BoundedRequestBody.read(request, MISSING_MAX_BYTES, body -> {
      io.vertx.core.json.JsonArray asked;
      try {
        asked = new io.vertx.core.json.JsonArray(body);
      } catch (RuntimeException e) {
        fail(request, 400, "the body of POST " + MISSING + " must be a JSON array of sha256 strings: "
            + e.getMessage(), false);
        return;
      }
      if (asked.size() > MISSING_MAX) {
        fail(request, 400, "POST " + MISSING + " asks about " + asked.size() + " hashes; ask about at most "
            + MISSING_MAX + " at a time", false);
        return;
      }
      java.util.LinkedHashSet<String> hashes = new java.util.LinkedHashSet<>();
      for (int i = 0; i < asked.size(); i++) {
        Object value = asked.getValue(i);
        if (!(value instanceof String id) || !ArtifactStore.isValidId(id)) {
          fail(request, 400, "POST " + MISSING + ": element " + i + " (" + value + ") is not a lower-case hex"
              + " sha256", false);
          return;
        }
        hashes.add(id);
      }
      vertx.executeBlocking(() -> {
        io.vertx.core.json.JsonArray lacking = new io.vertx.core.json.JsonArray();
        for (String id : hashes) {
          if (!store.exists(id)) {
            lacking.add(id);
          }
        }
        return lacking;
      }, false).onSuccess(lacking -> request.response().putHeader("Content-Type", "application/json")
          .end(lacking.encode())).onFailure(e -> fail(request, e, false));
    }, () -> fail(request, 413, "POST " + MISSING + " may send at most " + MISSING_MAX_BYTES + " bytes, "
        + MISSING_MAX + " hashes; ask about fewer at a time", true));
  }

  private static Route onAnyId(Router router) {
    return router.routeWithRegex(ANY_ID).useNormalizedPath(false);
  }

  private static String id(RoutingContext context) {
    return context.request().path().substring(PREFIX.length());
  }

  /** An object's file and size, looked up off the event loop. */
  private record Found(Path file, long size) {}

  private void get(HttpServerRequest request, String id, boolean headOnly) {
    if (!ArtifactStore.isValidId(id)) {
      fail(request, 400, idProblem(id), false);
      return;
    }
    HttpServerResponse response = request.response();
    vertx
        .executeBlocking(
            () -> {
              Path file = store.file(id);
              return new Found(file, Files.size(file));
            },
            false)
        .onSuccess(
            found -> {
              response
                  .putHeader("Content-Type", "application/octet-stream")
                  .putHeader("ETag", "\"" + id + "\"")
                  .putHeader("Cache-Control", "public, max-age=31536000, immutable");
              if (headOnly) {
                response.putHeader("Content-Length", Long.toString(found.size())).end();
              } else {
                response.sendFile(found.file().toString());
              }
            })
        .onFailure(e -> fail(request, e, false));
  }

  private void put(HttpServerRequest request, String id, String client) {
    if (!ArtifactStore.isValidId(id)) {
      fail(request, 400, idProblem(id), true);
      return;
    }
    long limit = store.options().maxObjectBytes();
    String declared = request.getHeader("Content-Length");
    long declaredSize = -1;
    if (declared != null) {
      try {
        declaredSize = Long.parseLong(declared.trim());
        if (declaredSize > limit) {
          fail(request, new ArtifactTooLargeException(id, limit), true);
          return;
        }
      } catch (NumberFormatException e) {
        fail(request, 400, "Content-Length \"" + declared + "\" is not a number", true);
        return;
      }
    }
    UploadSlots.Refusal refusal = slots.take(client);
    if (refusal != null) {
      refuse(request, id, client, refusal);
      return;
    }
    UploadBody body = new UploadBody(request, vertx.getOrCreateContext(), id, limits);
    long size = declaredSize;
    pool
        .executeBlocking(() -> store.put(id, body, size), false)
        .onComplete(done -> slots.release(client))
        .onSuccess(
            result -> {
              body.discardRest();
              request
                  .response()
                  .setStatusCode(result.created() ? 201 : 200)
                  .putHeader("Content-Type", "application/json")
                  .end(
                      new JsonObject()
                          .put("sha256", result.sha256())
                          .put("size", result.size())
                          .put("created", result.created())
                          .encode());
              stored.accept(result);
            })
        .onFailure(e -> fail(request, e, !body.ended()));
  }

  /** Answers an upload that may not start now, 429 or 503 with when to try again; its body is not read. */
  private void refuse(HttpServerRequest request, String id, String client, UploadSlots.Refusal refusal) {
    request.response().putHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    if (refusal == UploadSlots.Refusal.CLIENT_LIMIT) {
      meters.refused(UploadMeters.Reason.CLIENT_LIMIT);
      fail(request, 429, "upload of " + id + " refused: client " + client + " has " + slots.perClient()
          + " uploads running, its limit (--uploads-per-client); nothing was read. Wait for one to end and send it"
          + " again (Retry-After: " + RETRY_AFTER_SECONDS + " s), or upload fewer at once", true);
    } else {
      meters.refused(UploadMeters.Reason.BUSY);
      fail(request, 503, "upload of " + id + " refused: the coordinator runs " + slots.all() + " uploads, all its"
          + " upload threads (--upload-threads); nothing was read. Send it again after Retry-After: "
          + RETRY_AFTER_SECONDS + " s", true);
    }
  }

  private void fail(HttpServerRequest request, Throwable e, boolean closeAfter) {
    int status;
    if (e instanceof ArtifactNotFoundException) {
      status = 404;
    } else if (e instanceof ArtifactTooLargeException) {
      status = 413;
    } else if (e instanceof StoreFullException full) {
      status = 507;
      meters.refused(full.limit() == StoreFullException.Limit.QUOTA ? UploadMeters.Reason.QUOTA
          : UploadMeters.Reason.RESERVE);
    } else if (e instanceof UploadCutOffException cut) {
      status = 408;
      meters.refused(switch (cut.reason()) {
        case DEADLINE -> UploadMeters.Reason.DEADLINE;
        case TOO_SLOW -> UploadMeters.Reason.TOO_SLOW;
        case IDLE -> UploadMeters.Reason.IDLE;
      });
    } else if (e instanceof ArtifactRejectedException || e instanceof InvalidArtifactIdException) {
      status = 400;
    } else {
      status = 500;
    }
    fail(request, status, e.getMessage(), closeAfter);
  }

  /** Answers an error; closes the connection after it, and after the body, if the request body was not read. */
  private void fail(HttpServerRequest request, int status, String message, boolean closeAfter) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", "application/json");
    if (closeAfter) {
      UnreadBodyClose.markLast(request);
    }
    response
        .end(new JsonObject().put("error", message).encode())
        .onComplete(
            done -> {
              if (closeAfter) {
                UnreadBodyClose.close(vertx, request);
              }
            });
  }

  private static String idProblem(String id) {
    try {
      ArtifactStore.requireValidId(id);
      return "artifact id is valid";
    } catch (InvalidArtifactIdException e) {
      return e.getMessage();
    }
  }
}
