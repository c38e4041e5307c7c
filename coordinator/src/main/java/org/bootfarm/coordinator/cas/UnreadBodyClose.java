package org.bootfarm.coordinator.cas;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;

/**
 * Closes the HTTP/1.1 connection of a request that was answered before its body was read, once the client has sent
 * that body (read here and dropped), or after {@link #DRAIN_BYTES} or {@link #DRAIN_TIME}, whichever comes first. A
 * socket closed with unread bytes in it makes the kernel answer with a reset, and a client still sending its body then
 * loses the answer it was sent: a 413 naming the store's limit reached the JDK's HTTP client as "HTTP/1.1 header
 * parser received no bytes". The refusal is what tells the client what to do, so it must arrive. On HTTP/2 (the JDK's
 * client, which the farm's uploads use, upgrades plain http to it) the connection carries other streams, so only the
 * request's stream is left to end, or reset after the same bounds: closing the connection made the JDK client's
 * requests on it fail ("Idle connection closed by HTTP/2 peer", "Stream 3 cancelled"). Used by every answer given
 * before a body is read: the artifact endpoint's refusals, the API's 413, and a refusal before authentication, which
 * otherwise read an unauthenticated body to its end, however long.
 */
public final class UnreadBodyClose {
  /** Body bytes dropped at most before the connection is closed anyway. */
  public static final long DRAIN_BYTES = 16L << 20;
  /** Time given at most to the client to finish sending before the connection is closed anyway. */
  static final Duration DRAIN_TIME = Duration.ofSeconds(5);

  private UnreadBodyClose() {}

  /**
   * Says in {@code request}'s answer, before it is sent, that the connection ends after it: {@code Connection: close}
   * on HTTP/1.x; not on HTTP/2, which forbids connection headers (RFC 9113 8.2.2).
   */
  public static void markLast(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2) {
      request.response().putHeader("Connection", "close");
    }
  }

  /** Closes {@code request}'s connection after its body, as above; call it once its answer is written. */
  public static void close(Vertx vertx, HttpServerRequest request) {
    // HTTP/2 (the JDK's client upgrades to it on plain http): the connection carries other streams, so only this
    // request's stream is ended, once its body is in, or reset
    boolean stream = request.version() == HttpVersion.HTTP_2;
    Runnable close = stream ? () -> request.response().reset() : () -> request.connection().close();
    if (request.isEnded()) {
      if (!stream) {
        close.run();
      }
      return;
    }
    long[] dropped = {0};
    long timer = vertx.setTimer(DRAIN_TIME.toMillis(), t -> close.run());
    request.handler(buffer -> {
      dropped[0] += buffer.length();
      if (dropped[0] > DRAIN_BYTES) {
        vertx.cancelTimer(timer);
        close.run();
      }
    });
    request.exceptionHandler(e -> {
      vertx.cancelTimer(timer);
      close.run();
    });
    request.endHandler(end -> {
      vertx.cancelTimer(timer);
      if (!stream) {
        close.run();
      }
    });
    request.resume();
  }
}
