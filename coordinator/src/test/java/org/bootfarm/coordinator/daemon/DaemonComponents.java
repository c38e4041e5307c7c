package org.bootfarm.coordinator.daemon;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.protocol.Sha256;

/**
 * Stand-in components uploaded to a test's running {@link CoordinatorDaemon} over its HTTP API with the {@code local}
 * token of its data directory, so a test submits a build the coordinator accepts (a submission names every component
 * of its target, each in the store).
 */
public final class DaemonComponents {
  private DaemonComponents() {
  }

  /** The components of a bootstrap, uploaded to {@code daemon} (whose data directory is {@code dataDir}). */
  public static Map<String, String> bootstrap(CoordinatorDaemon daemon, Path dataDir)
      throws IOException, InterruptedException {
    return Map.of("tether", upload(daemon, dataDir, "#!/bin/sh\necho stand-in tether\n"),
        "unpack", upload(daemon, dataDir, "#!/bin/sh\necho stand-in unpack\n"));
  }

  /** Uploads {@code text} to {@code daemon} and returns its sha256. */
  public static String upload(CoordinatorDaemon daemon, Path dataDir, String text)
      throws IOException, InterruptedException {
    String token;
    try (Stream<Path> files = Files.walk(dataDir)) {
      Path tokens = files.filter(f -> f.getFileName().toString().equals(DefaultTokensFile.NAME)).findFirst()
          .orElseThrow(() -> new IOException("no " + DefaultTokensFile.NAME + " under " + dataDir));
      token = DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow();
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    String sha256 = Sha256.of(bytes);
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + daemon.httpPort() + "/api/v1/artifacts/" + sha256)).header("Authorization",
        "Bearer " + token).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IOException("upload of a stand-in artifact: " + response.statusCode() + " " + response.body());
    }
    return sha256;
  }
}
