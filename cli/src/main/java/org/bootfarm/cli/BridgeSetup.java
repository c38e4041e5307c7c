package org.bootfarm.cli;

import io.vertx.core.Vertx;
import java.time.Duration;
import org.bootfarm.coordinator.bridge.BridgeServer;
import org.bootfarm.coordinator.daemon.CoordinatorDaemon;
import picocli.CommandLine.Option;

/**
 * The coordinator's TCP bridge flags, and starting it: on 127.0.0.1:7000 by default, checking tokens
 * against the coordinator's own tokens file (the one its HTTP API uses, {@code --tokens}) and counting
 * refusals with its HTTP ones.
 */
final class BridgeSetup {
  @Option(names = "--bridge-host", defaultValue = "127.0.0.1",
      description = "TCP event-bus bridge address (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--bridge-port", defaultValue = "7000",
      description = "TCP event-bus bridge port for clients such as the bootfarm CLI (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--no-bridge", description = "do not start the TCP bridge")
  boolean disabled;

  @Option(names = "--bridge-tls-cert", paramLabel = "PEM", description = "certificate chain: the bridge speaks TLS")
  java.nio.file.Path tlsCert;

  @Option(names = "--bridge-tls-key", paramLabel = "PEM", description = "the private key of --bridge-tls-cert")
  java.nio.file.Path tlsKey;

  @Option(names = "--bridge-max-frame", defaultValue = "262144", paramLabel = "BYTES",
      description = "the largest frame a client may send (default: ${DEFAULT-VALUE})")
  int maxFrameBytes;

  /** Starts the bridge of {@code daemon} unless disabled; returns null when disabled. */
  BridgeServer start(Vertx vertx, CoordinatorDaemon daemon) {
    if (disabled) {
      return null;
    }
    return BridgeServer.start(vertx, new BridgeServer.Settings(host, port, daemon.access().tokens().file(),
        maxFrameBytes, 5, Duration.ofSeconds(30), tlsCert, tlsKey), daemon.access().tokens(),
        daemon.access().refusals(), daemon.coordinatorRequests()).await();
  }

  /** The bridge's address for the ready line, or "off". */
  static String describe(BridgeServer server, BridgeSetup setup) {
    return server == null ? "off" : setup.host + ":" + server.actualPort() + (setup.tlsCert == null ? "" : " (TLS)");
  }
}
