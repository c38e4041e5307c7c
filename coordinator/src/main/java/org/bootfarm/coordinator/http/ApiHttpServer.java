package org.bootfarm.coordinator.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.FarmApi;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The coordinator's small HTTP API for scripts and curl, on Vert.x core: {@code POST /api/v1/builds},
 * {@code GET /api/v1/builds/{id}}, {@code GET /api/v1/builds?repo=&state=&limit=},
 * {@code GET /api/v1/workers}, {@code GET /api/v1/repos}, the artifact endpoint and
 * {@code GET /health}. It only translates: every decision is {@link BuildCoordinator}'s, run on a
 * worker thread because the store writes to disk. Every refusal is an {@link ApiError} body. On a
 * standby coordinator the calls go to the active one over the event bus (a {@link FarmApi} that
 * forwards), with the same answers.
 */
public final class ApiHttpServer {
  /** Largest request body accepted outside the artifact endpoint. */
  public static final int MAX_BODY_BYTES = 64 * 1024;
  private static final String BUILDS = "/api/v1/builds";

  private final Vertx vertx;
  private final FarmApi coordinator;
  private final ArtifactHttpEndpoint artifacts;

  public ApiHttpServer(Vertx vertx, FarmApi coordinator, ArtifactHttpEndpoint artifacts) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.artifacts = artifacts;
  }

  /** Starts listening; the future completes with the bound server (port 0 picks a free one). */
  public Future<HttpServer> listen(String host, int port) {
    return vertx.createHttpServer().requestHandler(this::handle).listen(port, host);
  }

  private void handle(HttpServerRequest request) {
    if (artifacts.handle(request)) {
      return;
    }
    String path = request.path();
    HttpMethod method = request.method();
    if (path.equals("/health") && method.equals(HttpMethod.GET)) {
      reply(request, 200, Map.of("ok", true));
    } else if (path.equals(BUILDS) && method.equals(HttpMethod.POST)) {
      submit(request);
    } else if (path.equals(BUILDS) && method.equals(HttpMethod.GET)) {
      BuildQuery query;
      try {
        query = query(request);
      } catch (ApiException e) {
        refuse(request, e.error());
        return;
      }
      answer(request, 200, () -> Map.of("builds", coordinator.list(query)));
    } else if (path.startsWith(BUILDS + "/") && method.equals(HttpMethod.GET)) {
      String id = path.substring(BUILDS.length() + 1);
      answer(request, 200, () -> coordinator.get(id));
    } else if (path.equals("/api/v1/workers") && method.equals(HttpMethod.GET)) {
      answer(request, 200, () -> Map.of("workers", coordinator.workers()));
    } else if (path.equals("/api/v1/repos") && method.equals(HttpMethod.GET)) {
      answer(request, 200, () -> Map.of("repos", coordinator.repos()));
    } else {
      refuse(request, new ApiError(ApiError.Code.NOT_FOUND, method + " " + path
          + " is not an API call; see GET /api/v1/builds, /api/v1/repos, /api/v1/workers, /health", List.of()));
    }
  }

  /** Reads the body up to {@link #MAX_BODY_BYTES}, then submits it. */
  private void submit(HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    if (length != null && length.matches("\\d+") && Long.parseLong(length) > MAX_BODY_BYTES) {
      tooLarge(request);
      return;
    }
    Buffer body = Buffer.buffer();
    request.handler(chunk -> {
      if (body.length() + chunk.length() > MAX_BODY_BYTES) {
        if (!request.response().ended()) {
          tooLarge(request);
        }
        return;
      }
      body.appendBuffer(chunk);
    });
    request.endHandler(done -> {
      if (request.response().ended()) {
        return;
      }
      SubmitRequest submission;
      try {
        submission = WireJson.read(body.toString(), SubmitRequest.class);
      } catch (WireJson.WireFormatException e) {
        refuse(request, new ApiError(ApiError.Code.BAD_REQUEST, e.getMessage(), List.of()));
        return;
      }
      answer(request, 201, () -> Map.of("id", coordinator.submit(submission)));
    });
  }

  private void tooLarge(HttpServerRequest request) {
    request.response().putHeader("Connection", "close");
    refuse(request, new ApiError(ApiError.Code.TOO_LARGE,
        "request body over " + MAX_BODY_BYTES + " bytes; a build submission is a small JSON object", List.of()));
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
    vertx.executeBlocking(call, false).onComplete(result -> {
      if (result.succeeded()) {
        reply(request, status, result.result());
      } else if (result.cause() instanceof ApiException refused) {
        refuse(request, refused.error());
      } else {
        refuse(request, new ApiError(ApiError.Code.INTERNAL, String.valueOf(result.cause()), List.of()));
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
