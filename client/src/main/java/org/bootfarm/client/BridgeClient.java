package org.bootfarm.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SigningKeyInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.transfer.TlsTrust;

/**
 * The farm's API (version 1) over the coordinator's TCP bridge, blocking, for clients outside the
 * cluster: the {@code bootfarm} CLI and scripts. Every refusal is an {@link ApiErrorException}
 * carrying the coordinator's (or the bridge's) {@link ApiError}; an unreachable farm is UNAVAILABLE.
 */
public final class BridgeClient implements AutoCloseable {
  /** How often {@link #await} reads the build record while it waits, in case an event was missed. */
  private static final Duration RECHECK = Duration.ofSeconds(5);

  private final BridgeConnection connection;
  private final ArtifactTransfer transfer;
  private final String artifactsUrlOverride;
  private FarmInfo info;

  private BridgeClient(BridgeConnection connection, String artifactsUrlOverride, ArtifactTransfer transfer) {
    this.connection = connection;
    this.artifactsUrlOverride = artifactsUrlOverride;
    this.transfer = transfer;
  }

  /**
   * Connects and proves the token with a ping. The same token goes with the artifact uploads and downloads,
   * which are HTTP requests to the coordinator.
   *
   * @param trustedCertificate PEM certificate of a TLS bridge, or null for plain TCP; an {@code https} artifact
   *     URL may chain to it too, besides the JDK's roots
   * @param artifactsUrl the coordinator's HTTP base URL for artifacts, or null to use the one it announces
   */
  public static BridgeClient connect(String farm, String token, Path trustedCertificate, String artifactsUrl,
      Duration timeout) {
    ArtifactTransfer transfer;
    try {
      transfer = new ArtifactTransfer(token,
          trustedCertificate == null ? null : TlsTrust.withRoots(List.of(trustedCertificate)));
    } catch (IOException e) {
      throw new ApiErrorException(new ApiError(ApiError.Code.BAD_REQUEST, "--tls-ca: " + e.getMessage(),
          List.of()));
    }
    try {
      BridgeConnection connection = BridgeConnection.open(farm, token, trustedCertificate, timeout);
      try {
        connection.ping();
      } catch (BridgeConnection.BridgeException e) {
        connection.close();
        throw e;
      }
      return new BridgeClient(connection, artifactsUrl, transfer);
    } catch (BridgeConnection.BridgeException e) {
      throw refusal(e);
    }
  }

  public FarmInfo info() {
    if (info == null) {
      info = call(Addresses.INFO, Map.of(), FarmInfo.class);
    }
    return info;
  }

  public String submit(SubmitRequest request) {
    return call(Addresses.SUBMIT, request, JsonNode.class).path("id").asText();
  }

  public BuildView get(String id) {
    return call(Addresses.GET, Map.of("id", id), BuildView.class);
  }

  public List<BuildView> list(BuildQuery query) {
    return all(call(Addresses.LIST, query, JsonNode.class).path("builds"), BuildView.class);
  }

  public BuildView cancel(String id) {
    return call(Addresses.CANCEL, Map.of("id", id), BuildView.class);
  }

  public BuildView pin(String id, PinRequest request) {
    return call(Addresses.PIN, Map.of("id", id, "reason", request.reason()), BuildView.class);
  }

  public BuildView unpin(String id) {
    return call(Addresses.UNPIN, Map.of("id", id), BuildView.class);
  }

  /** Rebuilds a SUCCEEDED build from its record (ADR 0037); answers the new QUEUED build, whose rebuildOf names it. */
  public BuildView rebuild(String id) {
    return call(Addresses.REBUILD, Map.of("id", id), BuildView.class);
  }

  /** Collects the active coordinator's artifact store now (admin), or with {@code dryRun} only counts. */
  public org.bootfarm.protocol.api.v1.CollectionReport gc(boolean dryRun) {
    return call(Addresses.GC, Map.of("dryRun", dryRun), org.bootfarm.protocol.api.v1.CollectionReport.class);
  }

  public List<RepoInfo> repos() {
    return all(call(Addresses.REPOS, Map.of(), JsonNode.class).path("repos"), RepoInfo.class);
  }

  public List<WorkerInfo> workers() {
    return all(call(Addresses.WORKERS, Map.of(), JsonNode.class).path("workers"), WorkerInfo.class);
  }

  /** The newest nightly run with its pairs ({@link Addresses#NIGHTLY_LATEST}). */
  public NightlyReport nightlyLatest() {
    return call(Addresses.NIGHTLY_LATEST, Map.of(), NightlyReport.class);
  }

  /** One nightly run with its pairs. */
  public NightlyReport nightly(String id) {
    return call(Addresses.NIGHTLY_GET, Map.of("id", id), NightlyReport.class);
  }

  /** Starts a nightly run now; answers it as recorded, its pairs submitted. */
  public NightlyReport nightlyRunNow() {
    return call(Addresses.NIGHTLY_RUN_NOW, Map.of(), NightlyReport.class);
  }

  /** Rebuilds a SUCCEEDED build on another worker; answers the pair, to follow with {@link #pair}. */
  public ReproducibilityPair verify(String buildId) {
    return call(Addresses.VERIFY, Map.of("id", buildId), ReproducibilityPair.class);
  }

  /** One reproducibility pair, with its verdict once judged. */
  public ReproducibilityPair pair(String id) {
    return call(Addresses.PAIR_GET, Map.of("id", id), ReproducibilityPair.class);
  }

  /**
   * Follows a build until it is final and returns its record: {@code events} gets its stage,
   * progress, log and state events as they arrive (on the connection's reader thread). The record is
   * also read every few seconds, so a build that ended while an event was lost (a coordinator taking
   * over) is noticed.
   *
   * @param patience how long to wait at most; the build's record as it is then is returned
   */
  public BuildView await(String id, Consumer<BuildEvent> events, Duration patience) {
    String address = Addresses.buildEvents(id);
    CountDownLatch ended = new CountDownLatch(1);
    try {
      connection.register(address, body -> {
        try {
          BuildEvent event = WireJson.read(body.toString(), BuildEvent.class);
          events.accept(event);
          if (event.type() == BuildEvent.Type.STATE && event.state() != null && event.state().isFinal()) {
            ended.countDown();
          }
        } catch (WireJson.WireFormatException e) {
          // an event of a newer coordinator this client cannot read: the record read below still tells the end
        }
      });
      connection.ping(); // the registration is in place once the ping that follows it is answered
    } catch (BridgeConnection.BridgeException e) {
      throw refusal(e);
    }
    Instant deadline = Instant.now().plus(patience);
    try {
      BuildView build = get(id);
      while (!build.state().isFinal() && Instant.now().isBefore(deadline)) {
        long wait = Math.min(RECHECK.toMillis(), Duration.between(Instant.now(), deadline).toMillis());
        if (ended.await(Math.max(1, wait), TimeUnit.MILLISECONDS)) {
          return get(id);
        }
        build = get(id);
      }
      return build;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiErrorException(new ApiError(ApiError.Code.UNAVAILABLE, "interrupted while following " + id,
          List.of()));
    } finally {
      try {
        connection.unregister(address);
      } catch (BridgeConnection.BridgeException e) {
        // the connection is gone: nothing to unregister
      }
    }
  }

  /** Uploads a file to the artifact store; returns its sha256. */
  public String upload(Path file) throws IOException, InterruptedException {
    return transfer.upload(artifactsUrl(), file);
  }

  /** Downloads an artifact and checks its sha256 before keeping it. */
  public Path download(String sha256, Path file) throws IOException, InterruptedException {
    return transfer.download(artifactsUrl(), sha256, file);
  }

  /** The farm's provenance public keys, current and retired ({@code GET /api/v1/keys} over HTTP, ADR 0044). */
  public List<SigningKeyInfo> keys() throws IOException, InterruptedException {
    String body = transfer.get(artifactsUrl(), "/api/v1/keys");
    try {
      return all(WireJson.read(body, JsonNode.class).path("keys"), SigningKeyInfo.class);
    } catch (WireJson.WireFormatException e) {
      throw new IOException("GET /api/v1/keys answered what this client cannot read: " + e.getMessage(), e);
    }
  }

  private String artifactsUrl() {
    return artifactsUrlOverride != null ? artifactsUrlOverride : info().artifactsUrl();
  }

  private <T> T call(String address, Object body, Class<T> type) {
    JsonNode answer;
    try {
      answer = connection.request(address, body);
    } catch (BridgeConnection.BridgeException e) {
      throw refusal(e);
    }
    return read(answer, type);
  }

  private static <T> T read(JsonNode json, Class<T> type) {
    if (type == JsonNode.class) {
      return type.cast(json);
    }
    try {
      return WireJson.read(json.toString(), type);
    } catch (WireJson.WireFormatException e) {
      throw new ApiErrorException(new ApiError(ApiError.Code.INTERNAL, "the farm answered a " + type.getSimpleName()
          + " this client cannot read (is it a different bootfarm version?): " + e.getMessage(), List.of()));
    }
  }

  private static <T> List<T> all(JsonNode items, Class<T> type) {
    List<T> all = new ArrayList<>();
    items.forEach(item -> all.add(read(item, type)));
    return all;
  }

  /** A bridge failure as the API error a caller can switch on. */
  static ApiErrorException refusal(BridgeConnection.BridgeException e) {
    if (e.error() != null && e.error().hasNonNull("code")) {
      try {
        return new ApiErrorException(WireJson.read(e.error().toString(), ApiError.class));
      } catch (WireJson.WireFormatException unreadable) {
        // fall through to the code and message
      }
    }
    ApiError.Code code = e.failureCode() == 0 ? ApiError.Code.UNAVAILABLE : Arrays.stream(ApiError.Code.values())
        .filter(c -> c.httpStatus() == e.failureCode()).findFirst().orElse(ApiError.Code.INTERNAL);
    return new ApiErrorException(new ApiError(code, e.getMessage(), List.of()));
  }

  @Override
  public void close() {
    connection.close();
  }
}
