package org.bootfarm.protocol.api.v1;

import java.util.List;

/**
 * The body of every refused request, on every transport: a code a program can switch on, a
 * message a person can act on, and the individual problems when there are several.
 */
public record ApiError(Code code, String message, List<String> problems) {

  public ApiError {
    problems = problems == null ? List.of() : List.copyOf(problems);
  }

  /** Why a request was refused; each maps to one HTTP status. */
  public enum Code {
    BAD_REQUEST(400),
    /** No token, or one that is not on the coordinator's tokens file (HTTP adds {@code WWW-Authenticate: Bearer}). */
    UNAUTHORIZED(401),
    /** A valid token whose role does not allow the call. */
    FORBIDDEN(403),
    NOT_FOUND(404),
    /** A body that is not {@code application/json} where JSON is read. */
    UNSUPPORTED_MEDIA_TYPE(415),
    /** A request addressed to another host than this loopback-bound server (a web page, DNS rebinding). */
    MISDIRECTED(421),
    CONFLICT(409),
    TOO_LARGE(413),
    UNAVAILABLE(503),
    INTERNAL(500);

    private final int httpStatus;

    Code(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    public int httpStatus() {
      return httpStatus;
    }
  }
}
