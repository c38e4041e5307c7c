package org.bootfarm.cli;

import java.util.function.Consumer;
import org.bootfarm.cluster.MetricsHttpServer;
import org.bootfarm.cluster.NodeMetrics;
import picocli.CommandLine.Option;

/**
 * Where a worker serves its {@code GET /metrics} ({@code --metrics-host}/{@code --metrics-port}): a port
 * the operator gave, on the command line or in the config file, is taken or the worker does not start,
 * since Prometheus scrapes that port and a worker moved elsewhere would be scraped as missing, or be
 * mistaken for another; without one the worker takes the first free port from {@value #DEFAULT_PORT} up,
 * so a second worker on one machine starts, and says which in its log and its ready line.
 */
final class MetricsAddress {
  private static final System.Logger LOG = System.getLogger(MetricsAddress.class.getName());

  /** The port tried first when none is given. */
  static final int DEFAULT_PORT = 9101;
  /** How many ports from {@link #DEFAULT_PORT} up a worker without --metrics-port tries. */
  static final int DEFAULT_TRIES = 100;

  @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "address of the worker's Prometheus GET /metrics (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "port of the worker's GET /metrics, 0 to serve none; a port given here or in the config file"
          + " is taken or the worker stops with an error (default: the first free port from " + DEFAULT_PORT
          + " up, so several workers share a machine; the ready line names it)")
  Integer port; // null: not given

  /** Serves {@code metrics} here; null with port 0. */
  MetricsHttpServer serve(NodeMetrics metrics) {
    if (port == null) {
      return serveFrom(metrics, DEFAULT_PORT, DEFAULT_TRIES, note -> LOG.log(System.Logger.Level.INFO, note));
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--metrics-port " + port + " is not in 0..65535 (0: no metrics)");
    }
    return port == 0 ? null : MetricsHttpServer.start(metrics, host, port);
  }

  /**
   * Serves {@code metrics} on the first free port of {@code first} and the {@code tries - 1} above it, telling
   * {@code log} which port it took when that is not {@code first}.
   */
  MetricsHttpServer serveFrom(NodeMetrics metrics, int first, int tries, Consumer<String> log) {
    MetricsHttpServer server = MetricsHttpServer.start(metrics, host, first, first + tries - 1);
    if (server.port() != first) {
      log.accept("bootfarm: metrics port " + first + " on " + host + " is in use (another"
          + " worker on this machine?); serving GET /metrics on port " + server.port() + " instead: give"
          + " --metrics-port to fix the port Prometheus scrapes");
    }
    return server;
  }

  /** Where the metrics are served, for the ready line. */
  String describe(MetricsHttpServer server) {
    return server == null ? "metrics off" : "metrics http://" + host + ":" + server.port() + "/metrics";
  }
}
