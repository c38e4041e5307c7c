package org.bootfarm.coordinator.access;

import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * The tokens file as it is now, for the HTTP API and the bridge alike: read at start (a missing or bad
 * file stops the coordinator from starting), then read again within {@link #RELOAD_EVERY_MILLIS} of each
 * change, so that adding, revoking or rotating a token is editing the file. A file that went bad refuses
 * every client until it is fixed (logged once), because keeping the old list would keep a revoked token valid.
 */
public final class LiveTokens {
  private static final System.Logger LOG = System.getLogger(LiveTokens.class.getName());
  /** How often the file's modification time is checked. */
  public static final long RELOAD_EVERY_MILLIS = 2000;

  private final Vertx vertx;
  private final long timer;
  private volatile AccessTokens tokens;
  /** Tokens that no file holds, by sha256: the coordinators' own ({@link #trust}). */
  private final Map<String, Caller> inProcess = new ConcurrentHashMap<>();

  private LiveTokens(Vertx vertx, AccessTokens tokens) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.timer = vertx.setPeriodic(RELOAD_EVERY_MILLIS, id -> reload());
  }

  /** Reads {@code file} and keeps it current until {@link #close}. */
  public static LiveTokens watch(Vertx vertx, Path file) throws AccessTokens.TokensFileException {
    return new LiveTokens(vertx, AccessTokens.read(file));
  }

  /** The client that a presented token belongs to, with its role, by the file as it is now. */
  public Optional<Caller> callerOf(String token) {
    Optional<Caller> caller = tokens.callerOf(token);
    if (caller.isPresent() || token == null) {
      return caller;
    }
    return Optional.ofNullable(inProcess.get(Sha256.of(token.getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * Accepts {@code token} for {@code caller} too, whatever the file says, until the process ends: how the
   * coordinators of one cluster copy each other's artifacts without a line the operator has to write.
   */
  public void trust(String token, Caller caller) {
    inProcess.put(Sha256.of(token.getBytes(StandardCharsets.UTF_8)), caller);
  }

  public Path file() {
    return tokens.file();
  }

  public int size() {
    return tokens.size();
  }

  public void close() {
    vertx.cancelTimer(timer);
  }

  private void reload() {
    AccessTokens current = tokens;
    vertx.executeBlocking(current::reloadIfChanged, false).onComplete(result -> {
      if (result.succeeded()) {
        if (result.result() != current) {
          tokens = result.result();
          LOG.log(System.Logger.Level.INFO, "tokens file {0} read again: {1} tokens", current.file(),
              result.result().size());
        }
      } else if (current.size() > 0 || !(result.cause() instanceof AccessTokens.TokensFileException)) {
        tokens = AccessTokens.none(current.file());
        LOG.log(System.Logger.Level.ERROR, "tokens file went bad, every client is refused until it is fixed: {0}",
            result.cause().getMessage());
      }
    });
  }
}
