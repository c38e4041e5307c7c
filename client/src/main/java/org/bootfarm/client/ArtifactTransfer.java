package org.bootfarm.client;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.bootfarm.protocol.transfer.ArtifactTransferException;

/**
 * Moves files in and out of a coordinator's content-addressed artifact store for every client,
 * through the farm's one {@link ArtifactStoreClient}: uploads are named by their sha256, a download
 * is kept only when its bytes have the sha256 it was asked by, and what the store refuses becomes an
 * {@link ApiErrorException} with the code of its HTTP status.
 */
public final class ArtifactTransfer {
  private final ArtifactStoreClient store;

  /** Transfers without a token (a store that asks for none). */
  public ArtifactTransfer() {
    this(null);
  }

  /** Transfers that send {@code token} as {@code Authorization: Bearer} (null: none). */
  public ArtifactTransfer(String token) {
    this(token, null);
  }

  /**
   * Transfers that send {@code token} (null: none) and trust {@code trust}'s roots for an {@code https} store
   * ({@link org.bootfarm.protocol.transfer.TlsTrust#withRoots}; null: the JDK's).
   */
  public ArtifactTransfer(String token, SSLContext trust) {
    this.store = ArtifactStoreClient.withToken(token, trust);
  }

  /**
   * Uploads a file; the store checks it against its name. Uploading what is already stored costs
   * one request.
   *
   * @param baseUrl the coordinator's HTTP base URL ({@code FarmInfo.artifactsUrl})
   * @return the sha256 to name it by in a submission
   */
  public String upload(String baseUrl, Path file) throws IOException, InterruptedException {
    String sha256 = Sha256.of(file);
    try {
      store.upload(requireUrl(baseUrl), sha256, file);
    } catch (ArtifactTransferException e) {
      throw refused("upload of " + file + " as " + sha256, e);
    }
    return sha256;
  }

  /** Downloads an artifact into {@code file} (replacing it) and checks its sha256 before it is kept. */
  public Path download(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    try {
      return store.download(requireUrl(baseUrl), sha256, file);
    } catch (ArtifactTransferException e) {
      throw refused("download of " + sha256, e);
    }
  }

  /** The body of {@code GET path} on the coordinator's HTTP API (a small JSON answer), sent with the token. */
  public String get(String baseUrl, String path) throws IOException, InterruptedException {
    try {
      return store.get(requireUrl(baseUrl), path);
    } catch (ArtifactTransferException e) {
      throw refused("GET " + path, e);
    }
  }

  private static String requireUrl(String baseUrl) {
    if (baseUrl == null) {
      throw new ApiErrorException(new ApiError(ApiError.Code.UNAVAILABLE,
          "the coordinator announced no HTTP API, so artifacts cannot be moved", List.of()));
    }
    return baseUrl;
  }

  /**
   * Throws an HTTP answer other than success as the {@link ApiErrorException} of its status; returns a
   * failure without one (unreachable, timed out, damaged bytes) for the caller to throw as it is.
   */
  private static IOException refused(String what, ArtifactTransferException e) {
    if (e.status() == 0 || e.status() == 200) {
      return e;
    }
    ApiError.Code code = Arrays.stream(ApiError.Code.values()).filter(c -> c.httpStatus() == e.status())
        .findFirst().orElse(ApiError.Code.INTERNAL);
    throw new ApiErrorException(new ApiError(code, what + " answered HTTP " + e.status() + ": " + e.responseBody(),
        List.of()));
  }
}
