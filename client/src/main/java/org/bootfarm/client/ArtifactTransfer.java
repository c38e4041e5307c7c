package org.bootfarm.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;

/**
 * Moves files in and out of a coordinator's content-addressed artifact store over its HTTP API
 * ({@code PUT} and {@code GET /api/v1/artifacts/{sha256}}), for every client: uploads are named by
 * their sha256, and a download is kept only when its bytes have the sha256 it was asked by.
 */
public final class ArtifactTransfer {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /**
   * Uploads a file; the store checks it against its name. Uploading what is already stored costs
   * one request.
   *
   * @param baseUrl the coordinator's HTTP base URL ({@code FarmInfo.artifactsUrl})
   * @return the sha256 to name it by in a submission
   */
  public String upload(String baseUrl, Path file) throws IOException, InterruptedException {
    String sha256 = Sha256.of(file);
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(artifact(baseUrl, sha256))
        .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 && response.statusCode() != 201) {
      throw new ApiErrorException(httpError("upload of " + file + " as " + sha256, response.statusCode(),
          response.body()));
    }
    return sha256;
  }

  /** Downloads an artifact into {@code file} (replacing it) and checks its sha256 before it is kept. */
  public Path download(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(artifact(baseUrl, sha256)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new ApiErrorException(httpError("download of " + sha256, response.statusCode(),
            new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path partial = Files.createTempFile(parent, file.getFileName().toString(), ".part");
      try {
        Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        String actual = Sha256.of(partial);
        if (!actual.equals(sha256)) {
          throw new IOException("artifact " + sha256 + " arrived as " + actual + "; not kept");
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(partial);
      }
    }
    return file;
  }

  private static URI artifact(String baseUrl, String sha256) {
    if (baseUrl == null) {
      throw new ApiErrorException(new ApiError(ApiError.Code.UNAVAILABLE,
          "the coordinator announced no HTTP API, so artifacts cannot be moved", List.of()));
    }
    return URI.create(baseUrl + "/api/v1/artifacts/" + sha256);
  }

  private static ApiError httpError(String what, int status, String body) {
    ApiError.Code code = Arrays.stream(ApiError.Code.values()).filter(c -> c.httpStatus() == status)
        .findFirst().orElse(ApiError.Code.INTERNAL);
    return new ApiError(code, what + " answered HTTP " + status + ": " + body, List.of());
  }
}
