package org.bootfarm.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A worker's {@code GET /metrics} (docs/metrics.md): a small HTTP server on a Vert.x of its own, one
 * event-loop thread, so it outlives the cluster node a worker leaves and joins again, and answers while
 * the node is between clusters. Serves {@link NodeMetrics#scrape()} rendered on a worker thread; every
 * other path is a 404 naming the one that exists. It takes the port it is given, or the first free one
 * of a range ({@code bootfarm worker} without {@code --metrics-port}, so a second worker on one machine starts).
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
   * listens. The port does not move: this is the port the operator gave.
   *
   * @throws IllegalStateException naming the address, and what to do, when it cannot listen there
   */
  public static MetricsHttpServer start(NodeMetrics metrics, String host, int port) {
    return start(metrics, host, port, port);
  }

  /**
   * Listens on the first port of {@code first}..{@code last} on {@code host} that is not in use and serves
   * {@code metrics}; blocks until it listens. Only a port in use moves it on to the next: any other failure
   * (an address not of this machine) ends the search at once. {@link #port} says which port it took.
   *
   * @throws IllegalStateException naming the address or the range, and what to do, when it cannot listen
   */
  public static MetricsHttpServer start(NodeMetrics metrics, String host, int first, int last) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    try {
      Router router = Router.router(vertx);
      router.routeWithRegex(HttpMethod.GET, Pattern.quote("/metrics")).useNormalizedPath(false)
          .handler(context -> serve(vertx, metrics, context.request()));
      router.route().handler(context -> notServed(context.request()));
      // the router refuses a path that does not start with "/" before any route sees it
      router.errorHandler(404, context -> notServed(context.request()));
      for (int port = first; ; port++) {
        try {
          HttpServer server = vertx.createHttpServer().requestHandler(router).listen(port, host)
              .await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          return new MetricsHttpServer(vertx, server);
        } catch (Exception e) {
          if (!inUse(e)) {
            throw new IllegalStateException("cannot serve metrics on --metrics-host/--metrics-port " + host + ":"
                + port + " (" + e.getMessage() + "): give an address of this machine and a free port, or"
                + " --metrics-port 0 to serve none", e);
          }
          if (first == last) {
            throw new IllegalStateException("cannot serve metrics on --metrics-host/--metrics-port " + host + ":"
                + port + ": the port is in use (" + e.getMessage() + "). A metrics port given with --metrics-port"
                + " or 'metrics-port' in the config file never moves, so Prometheus keeps scraping the process it"
                + " expects: stop the process holding " + port + ", give each process on this machine a port of"
                + " its own, leave the port out to take the first free one from the default, or give"
                + " --metrics-port 0 to serve none", e);
          }
          if (port >= last) {
            throw new IllegalStateException("cannot serve metrics on --metrics-host " + host + ": every port of "
                + first + ".." + last + " is in use; give --metrics-port a free port, or 0 to serve none", e);
          }
        }
      }
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
  }

  /** Whether listening failed because another socket holds the port, the one failure the next port may not have. */
  private static boolean inUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      // java.net.BindException with NIO, Netty's own IOException with a native transport: both say "in use"
      if (t instanceof IOException && String.valueOf(t.getMessage()).contains("already in use")) {
        return true;
      }
    }
    return false;
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
