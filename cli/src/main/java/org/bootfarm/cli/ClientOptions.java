package org.bootfarm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.client.BridgeClient;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import picocli.CommandLine.Option;

/**
 * How a client command reaches the farm: the bridge address, the token and TLS trust, each from
 * its flag, else the environment ({@code BOOTFARM_FARM}, {@code BOOTFARM_TOKEN}), else the user's
 * {@code ~/.config/bootfarm/client.conf}, else the local farm on 127.0.0.1:7000 with the {@code
 * local} token the coordinator wrote into its data dir (readable by root).
 */
final class ClientOptions {
  static final String DEFAULT_FARM = "127.0.0.1:7000";
  static final List<String> CONFIG_KEYS = List.of("farm", "token", "tls-ca", "artifacts-url");

  @Option(names = "--farm", paramLabel = "HOST:PORT",
      description = "the coordinator's bridge (default: $BOOTFARM_FARM, client.conf, else " + DEFAULT_FARM + ")")
  String farm;

  @Option(names = "--token", description = "this client's token (default: $BOOTFARM_TOKEN, client.conf, else the"
      + " local farm's 'local' token when readable)")
  String token;

  @Option(names = "--tls-ca", paramLabel = "PEM",
      description = "trust this certificate (a farm CA): speak TLS to the bridge, and trust it for an https artifact URL")
  Path tlsCa;

  @Option(names = "--artifacts-url", paramLabel = "URL",
      description = "the coordinator's HTTP base URL for artifacts (default: the one it announces)")
  String artifactsUrl;

  @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class,
      description = "how long one request may take (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--json", description = "print JSON instead of text")
  boolean json;

  /** A client config file that cannot be used. */
  static final class ClientConfigException extends Exception {
    ClientConfigException(String message) {
      super(message);
    }
  }

  BridgeClient connect() throws ClientConfigException {
    Map<String, String> env = System.getenv();
    Map<String, String> file = userConfig(Path.of(System.getProperty("user.home"), ".config", "bootfarm",
        "client.conf"));
    String address = first(farm, env.get("BOOTFARM_FARM"), file.get("farm")).orElse(DEFAULT_FARM);
    String secret = first(token, env.get("BOOTFARM_TOKEN"), file.get("token"))
        .or(() -> localToken(address, env)).orElse(null);
    Path ca = tlsCa != null ? tlsCa : Optional.ofNullable(file.get("tls-ca")).map(Path::of).orElse(null);
    String artifacts = first(artifactsUrl, env.get("BOOTFARM_ARTIFACTS_URL"), file.get("artifacts-url")).orElse(null);
    return BridgeClient.connect(address, secret, ca, artifacts, timeout);
  }

  private static Optional<String> first(String... values) {
    for (String value : values) {
      if (value != null && !value.isBlank()) {
        return Optional.of(value.strip());
      }
    }
    return Optional.empty();
  }

  /**
   * The 'local' token of a farm on this machine, when its tokens file is readable here ({@code bridge-tokens}
   * of a coordinator not restarted since roles came, else {@code access-tokens}).
   */
  static Optional<String> localToken(String address, Map<String, String> env) {
    if (!(address.startsWith("127.0.0.1:") || address.startsWith("localhost:"))) {
      return Optional.empty();
    }
    Path dataDir = Path.of(Optional.ofNullable(env.get("BOOTFARM_DATA_DIR")).filter(v -> !v.isBlank())
        .orElse("/var/lib/bootfarm"));
    for (String name : List.of(DefaultTokensFile.NAME, DefaultTokensFile.OLD_NAME)) {
      Path tokens = dataDir.resolve("coordinator").resolve(name);
      try {
        if (Files.isReadable(tokens)) {
          return DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT);
        }
      } catch (IOException e) {
        // not readable here: the caller asks for a token
      }
    }
    return Optional.empty();
  }

  /** The user's client.conf ({@code key = value}, {@code #} comments); empty when there is none. */
  static Map<String, String> userConfig(Path file) throws ClientConfigException {
    Map<String, String> values = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return values;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new ClientConfigException("client config " + file + " cannot be read: " + e.getMessage());
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int equals = line.indexOf('=');
      String key = equals < 0 ? line : line.substring(0, equals).strip();
      if (equals < 0 || !CONFIG_KEYS.contains(key)) {
        throw new ClientConfigException("client config " + file + " line " + (i + 1) + ": '" + key
            + "' is not 'key = value' with a key of " + CONFIG_KEYS);
      }
      values.put(key, line.substring(equals + 1).strip());
    }
    return values;
  }
}
