package org.bootfarm.cli;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import org.bootfarm.coordinator.bridge.BridgeServer;
import org.bootfarm.coordinator.bridge.BridgeTokens;
import picocli.CommandLine.Option;

/**
 * The coordinator's TCP bridge flags, and starting it: on 127.0.0.1:7000 by default, with the
 * tokens file in the data dir. When that default file does not exist yet it is created holding one
 * token for the client named {@code local}, readable by its owner only, which the CLI on this
 * machine uses when no token is given; a file named with {@code --tokens} must exist.
 */
final class BridgeSetup {
  static final String TOKENS_FILE_NAME = "bridge-tokens";
  static final String LOCAL_CLIENT = "local";

  @Option(names = "--bridge-host", defaultValue = "127.0.0.1",
      description = "TCP event-bus bridge address (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--bridge-port", defaultValue = "7000",
      description = "TCP event-bus bridge port for clients such as the bootfarm CLI (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--no-bridge", description = "do not start the TCP bridge")
  boolean disabled;

  @Option(names = "--tokens", paramLabel = "FILE",
      description = "the bridge's clients, one 'name token' per line (default: <data-dir>/coordinator/"
          + TOKENS_FILE_NAME + ", created with a 'local' token when missing)")
  Path tokens;

  @Option(names = "--bridge-tls-cert", paramLabel = "PEM", description = "certificate chain: the bridge speaks TLS")
  Path tlsCert;

  @Option(names = "--bridge-tls-key", paramLabel = "PEM", description = "the private key of --bridge-tls-cert")
  Path tlsKey;

  @Option(names = "--bridge-max-frame", defaultValue = "262144", paramLabel = "BYTES",
      description = "the largest frame a client may send (default: ${DEFAULT-VALUE})")
  int maxFrameBytes;

  /** Starts the bridge unless disabled; returns null when disabled. */
  BridgeServer start(Vertx vertx, Path coordinatorDataDir) throws IOException, BridgeTokens.TokensFileException {
    if (disabled) {
      return null;
    }
    Path file = tokens != null ? tokens : localTokensFile(coordinatorDataDir);
    return BridgeServer.start(vertx, new BridgeServer.Settings(host, port, file, maxFrameBytes, 5,
        Duration.ofSeconds(30), tlsCert, tlsKey)).await();
  }

  /** The bridge's address for the ready line, or "off". */
  static String describe(BridgeServer server, BridgeSetup setup) {
    return server == null ? "off" : setup.host + ":" + server.actualPort() + (setup.tlsCert == null ? "" : " (TLS)");
  }

  /** The default tokens file, created with a fresh 'local' token (mode 0600) when it does not exist. */
  static Path localTokensFile(Path coordinatorDataDir) throws IOException {
    Path file = coordinatorDataDir.resolve(TOKENS_FILE_NAME);
    if (Files.notExists(file)) {
      Files.createDirectories(coordinatorDataDir);
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      Path temp = Files.createTempFile(coordinatorDataDir, TOKENS_FILE_NAME, ".new",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(temp, "# bootfarm bridge clients: one 'name token' per line; delete a line to revoke it\n"
          + LOCAL_CLIENT + " " + HexFormat.of().formatHex(secret) + "\n");
      try {
        Files.move(temp, file);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        Files.deleteIfExists(temp); // another coordinator on this data dir wrote it first
      }
    }
    return file;
  }
}
