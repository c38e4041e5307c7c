package org.bootfarm.coordinator.access;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * What one coordinator checks its callers with, for the HTTP API and the bridge alike: the tokens file
 * ({@code --tokens}, else {@link DefaultTokensFile}) kept current, the refusal counter, whether {@code GET
 * /metrics} needs a token, and the coordinators' own token.
 *
 * <p>The coordinators' token is how they copy each other's artifacts over HTTP (replication, a standby
 * handing a component to the active one): one random token per cluster, made by the first coordinator and
 * kept in a cluster map that every coordinator reads at start, accepted as client {@code coordinators} with
 * role {@code read} and never written to a file. So replication needs no line from the operator, and the
 * coordinators need not share a tokens file. A cluster member can read that map, as it can already call the
 * event-bus API as {@link CallerHeader#MEMBER}; member certificates close both.
 */
public final class FarmAccess implements AutoCloseable {
  /** Who a coordinator copying an artifact from another is. */
  public static final Caller COORDINATORS = new Caller("coordinators", AccessRole.READ);
  static final String CLUSTER_MAP = "bootfarm.v1.coordinators.access";
  private static final String TOKEN_KEY = "replication-token";

  private final LiveTokens tokens;
  private final ApiRefusals refusals;
  private final boolean protectMetrics;
  private final String coordinatorsToken;

  private FarmAccess(LiveTokens tokens, ApiRefusals refusals, boolean protectMetrics, String coordinatorsToken) {
    this.tokens = tokens;
    this.refusals = refusals;
    this.protectMetrics = protectMetrics;
    this.coordinatorsToken = coordinatorsToken;
  }

  /**
   * Reads the tokens file (null: the default one in {@code dataDir}, made when missing) and registers the
   * refusal counter in {@code registry}.
   *
   * @param hazelcast the cluster's maps, where the coordinators' token is shared (null: a coordinator alone)
   * @throws IOException when the tokens file cannot be made, read or used, naming it and every bad line
   */
  public static FarmAccess open(Vertx vertx, Path tokensFile, Path dataDir, boolean protectMetrics,
      MeterRegistry registry, HazelcastInstance hazelcast) throws IOException {
    Path file = tokensFile != null ? tokensFile : DefaultTokensFile.prepare(dataDir);
    LiveTokens tokens;
    try {
      tokens = LiveTokens.watch(vertx, file);
    } catch (AccessTokens.TokensFileException e) {
      throw new IOException(e.getMessage() + (tokensFile != null ? "" : "; fix it, or delete it to have a new one"
          + " made (every client then needs the new tokens)"), e);
    }
    String fresh = DefaultTokensFile.newToken();
    String shared = hazelcast == null ? null
        : hazelcast.<String, String>getMap(CLUSTER_MAP).putIfAbsent(TOKEN_KEY, fresh);
    String coordinatorsToken = shared != null ? shared : fresh;
    tokens.trust(coordinatorsToken, COORDINATORS);
    return new FarmAccess(tokens, new ApiRefusals(registry), protectMetrics, coordinatorsToken);
  }

  public LiveTokens tokens() {
    return tokens;
  }

  public ApiRefusals refusals() {
    return refusals;
  }

  public boolean protectMetrics() {
    return protectMetrics;
  }

  /** The token this coordinator sends when it copies an artifact from another. */
  public String coordinatorsToken() {
    return coordinatorsToken;
  }

  @Override
  public void close() {
    tokens.close();
  }
}
