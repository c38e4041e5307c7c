package org.bootfarm.protocol.transfer;

import java.io.IOException;
import java.net.URI;

/**
 * Why a transfer to or from a coordinator's artifact store failed, and whether trying again can
 * help: the store did not answer, answered a server error (5xx), went quiet or broke off the body
 * (worth another try, perhaps on another coordinator), or it refused the request, sent bytes
 * that are not what was asked for, or showed an {@code https} certificate this side does not trust
 * (not worth one).
 */
public final class ArtifactTransferException extends IOException {
  private final int status;
  private final String responseBody;
  private final boolean worthRetrying;

  private ArtifactTransferException(String message, Throwable cause, int status, String responseBody,
      boolean worthRetrying) {
    super(message, cause);
    this.status = status;
    this.responseBody = responseBody;
    this.worthRetrying = worthRetrying;
  }

  /** The HTTP status the store answered with; 0 when it did not answer. */
  public int status() {
    return status;
  }

  /** What the store said with its status (its error text); empty when it did not answer. */
  public String responseBody() {
    return responseBody;
  }

  /** Whether the same transfer may succeed later or on another coordinator. */
  public boolean worthRetrying() {
    return worthRetrying;
  }

  static ArtifactTransferException unreachable(String what, URI uri, IOException cause) {
    return new ArtifactTransferException(what + ": artifact store " + uri + " unreachable: " + cause, cause, 0, "",
        true);
  }

  static ArtifactTransferException untrusted(String what, URI uri, javax.net.ssl.SSLHandshakeException cause) {
    return new ArtifactTransferException(what + ": artifact store " + uri + " refused by TLS: " + cause.getMessage()
        + "; its certificate must chain to a CA this side trusts and name the host " + uri.getHost()
        + " (a worker or coordinator trusts its farm CA, ca.pem of its member directory; a client gives --tls-ca;"
        + " issue the coordinator's certificate with 'bootfarm ca issue --role coordinator --host "
        + uri.getHost() + "')", cause, 0, "", false);
  }

  static ArtifactTransferException timedOut(String what, URI uri, String how) {
    return new ArtifactTransferException(what + ": artifact store " + uri + " " + how, null, 0, "", true);
  }

  static ArtifactTransferException brokeOff(String what, URI uri, IOException cause) {
    return new ArtifactTransferException(what + " broke off at " + uri + ": " + cause, cause, 0, "", true);
  }

  static ArtifactTransferException answered(String what, URI uri, int status, String body) {
    return new ArtifactTransferException(what + " answered HTTP " + status + " at " + uri
        + (body == null || body.isBlank() ? "" : ": " + body.strip()), null, status, body == null ? "" : body,
        status >= 500 || status == 429);
  }

  static ArtifactTransferException hashMismatch(URI uri, String asked, String actual) {
    return new ArtifactTransferException("download of " + uri + " refused: asked for sha256 " + asked
        + " but the bytes that arrived hash to " + actual + "; nothing was kept (the store holds a damaged object,"
        + " or something between rewrote it)", null, 200, "", false);
  }
}
