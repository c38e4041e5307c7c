package org.bootfarm.coordinator.access;

import org.bootfarm.cluster.identity.SenderCheck;
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
 * <p>The coordinators' tokens are how they copy each other's artifacts over HTTP (replication, a standby
 * handing a component to the active one): {@link CoordinatorTokens}, announced over the authenticated event
 * bus, never written to a file or a Hazelcast map.
 */
public final class FarmAccess implements AutoCloseable {

  private final LiveTokens tokens;
  private final ApiRefusals refusals;
  private final boolean protectMetrics;
  private final CoordinatorTokens coordinatorTokens;

  private FarmAccess(LiveTokens tokens, ApiRefusals refusals, boolean protectMetrics,
      CoordinatorTokens coordinatorTokens) {
    this.tokens = tokens;
    this.refusals = refusals;
    this.protectMetrics = protectMetrics;
    this.coordinatorTokens = coordinatorTokens;
  }

  /**
   * Reads the tokens file (null: the default one in {@code dataDir}, made when missing) and registers the
   * refusal counter in {@code registry}.
   *
   * @param senders who sent an event-bus message, by certificate: only coordinators' token announcements count
   * @throws IOException when the tokens file cannot be made, read or used, naming it and every bad line
   */
  public static FarmAccess open(Vertx vertx, Path tokensFile, Path dataDir, boolean protectMetrics,
      MeterRegistry registry, SenderCheck senders) throws IOException {
    Path file = tokensFile != null ? tokensFile : DefaultTokensFile.prepare(dataDir);
    LiveTokens tokens;
    try {
      tokens = LiveTokens.watch(vertx, file);
    } catch (AccessTokens.TokensFileException e) {
      throw new IOException(e.getMessage() + (tokensFile != null ? "" : "; fix it, or delete it to have a new one"
          + " made (every client then needs the new tokens)"), e);
    }
    return new FarmAccess(tokens, new ApiRefusals(registry), protectMetrics,
        CoordinatorTokens.start(vertx, tokens, senders));
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
    return coordinatorTokens.own();
  }

  @Override
  public void close() {
    coordinatorTokens.close();
    tokens.close();
  }
}
