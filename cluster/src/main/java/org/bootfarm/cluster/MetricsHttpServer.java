package org.bootfarm.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A worker's {@code GET /metrics} (docs/metrics.md): a small HTTP server on a Vert.x of its own, one
 * event-loop thread, so it outlives the cluster node a worker leaves and joins again, and answers while
 * the node is between clusters. Serves {@link NodeMetrics#scrape()} rendered on a worker thread; every
 * other path is a 404 naming the one that exists.
 */
public final class MetricsHttpServer implements AutoCloseable {
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
      HttpServer server = vertx.createHttpServer().requestHandler(request -> {
        if (request.method().equals(HttpMethod.GET) && request.path().equals("/metrics")) {
          vertx.executeBlocking(metrics::scrape, false).onComplete(scraped -> {
            if (scraped.succeeded()) {
              request.response().putHeader("Content-Type", NodeMetrics.CONTENT_TYPE).end(scraped.result());
            } else {
              request.response().setStatusCode(500).putHeader("Content-Type", "text/plain; charset=utf-8")
                  .end("metrics could not be read: " + scraped.cause() + "\n");
            }
          });
        } else {
          request.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8")
              .end(request.method() + " " + request.path() + " is not served here; GET /metrics is\n");
        }
      }).listen(port, host).await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new MetricsHttpServer(vertx, server);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("cannot serve metrics on --metrics-host/--metrics-port " + host + ":" + port
          + " (" + e.getMessage() + "): pick a free port, or --metrics-port 0 to serve none", e);
    }
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
      System.err.println("bootfarm: closing the metrics server did not finish cleanly: " + e);
    }
  }
}
