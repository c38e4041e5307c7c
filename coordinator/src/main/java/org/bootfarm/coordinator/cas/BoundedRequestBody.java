package org.bootfarm.coordinator.cas;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;

/**
 * Reads a request body into memory up to a bound, for the calls that read a whole body before they act (the API's
 * JSON calls, the store's {@code missing} query): a body that declares more ({@code Content-Length}) is refused
 * before a byte of it is read, one that sends more without saying so (chunked) as soon as it passes the bound, and
 * what came is dropped. The refusal is the caller's own answer (a 413), given once; it should end the connection
 * with {@link UnreadBodyClose}, which stops reading the rest. Each refusal is logged with the caller's address.
 */
public final class BoundedRequestBody {
  private static final System.Logger LOG = System.getLogger(BoundedRequestBody.class.getName());

  private BoundedRequestBody() {}

  /**
   * Reads {@code request}'s body of at most {@code maxBytes} and hands it to {@code then} once it has all come, or
   * runs {@code tooLarge} instead, once, when it declares or sends more; neither when the request's answer was given
   * meanwhile.
   */
  public static void read(HttpServerRequest request, long maxBytes, Consumer<Buffer> then, Runnable tooLarge) {
    String length = request.getHeader("Content-Length");
    if (length != null && length.matches("\\d+") && (length.length() > 18 || Long.parseLong(length) > maxBytes)) {
      refuse(request, maxBytes, "declares " + length + " bytes", tooLarge);
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] refused = {false};
    request.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      if (body.length() + (long) chunk.length() > maxBytes) {
        refused[0] = true;
        refuse(request, maxBytes, "went on past them", tooLarge);
        return;
      }
      body.appendBuffer(chunk);
    });
    request.endHandler(done -> {
      if (!refused[0] && !request.response().ended()) {
        then.accept(body);
      }
    });
  }

  private static void refuse(HttpServerRequest request, long maxBytes, String what, Runnable tooLarge) {
    if (request.response().ended()) {
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "http {0} {1} from {2} refused: a body may have {4} bytes, and this one {3}",
        request.method(), request.path(), request.remoteAddress(), what, Long.toString(maxBytes));
    tooLarge.run();
  }
}
