package org.bootfarm.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A worker's {@code GET /metrics} (docs/metrics.md): a small HTTP server on a Vert.x of its own, one
 * event-loop thread, so it outlives the cluster node a worker leaves and joins again, and answers while
 * the node is between clusters. Serves {@link NodeMetrics#scrape()} rendered on a worker thread; every
 * other path is a 404 naming the one that exists.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(MetricsHttpServer.class.getName());
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final HttpServer server;

  private MetricsHttpServer(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  /**
   * Listens on {@code host}:{@code port} (0: any free port) and serves {@code metrics}; blocks until it
   * listens.
   *
   * @throws IllegalStateException naming the address when it cannot listen there
   */
  public static MetricsHttpServer start(NodeMetrics metrics, String host, int port) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    try {
      Router router = Router.router(vertx);
      router.routeWithRegex(HttpMethod.GET, Pattern.quote("/metrics")).useNormalizedPath(false)
          .handler(context -> serve(vertx, metrics, context.request()));
      router.route().handler(context -> notServed(context.request()));
      // the router refuses a path that does not start with "/" before any route sees it
      router.errorHandler(404, context -> notServed(context.request()));
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(port, host)
          .await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new MetricsHttpServer(vertx, server);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("cannot serve metrics on --metrics-host/--metrics-port " + host + ":" + port
          + " (" + e.getMessage() + "): pick a free port, or --metrics-port 0 to serve none", e);
    }
  }

  private static void serve(Vertx vertx, NodeMetrics metrics, HttpServerRequest request) {
    vertx.executeBlocking(metrics::scrape, false).onComplete(scraped -> {
      if (scraped.succeeded()) {
        request.response().putHeader("Content-Type", NodeMetrics.CONTENT_TYPE).end(scraped.result());
      } else {
        request.response().setStatusCode(500).putHeader("Content-Type", "text/plain; charset=utf-8")
            .end("metrics could not be read: " + scraped.cause() + "\n");
      }
    });
  }

  private static void notServed(HttpServerRequest request) {
    request.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8")
        .end(request.method() + " " + request.path() + " is not served here; GET /metrics is\n");
  }

  /** The port it listens on (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "bootfarm: closing the metrics server did not finish cleanly: " + e);
    }
  }
}
