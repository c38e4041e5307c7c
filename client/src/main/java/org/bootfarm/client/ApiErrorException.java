package org.bootfarm.client;

import io.vertx.core.eventbus.ReplyException;
import java.time.Duration;
import java.util.List;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * A request of the {@link FarmClient} that did not get its answer, with the {@link ApiError} that says
 * why: the coordinator's own refusal (a bad submission names each wrong field, an unknown build is
 * NOT_FOUND), or, when no coordinator answered at all, an UNAVAILABLE error naming the address.
 */
public final class ApiErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ApiError error;

  public ApiErrorException(ApiError error) {
    super(text(error));
    this.error = error;
  }

  /** The error as the coordinator sent it (or as the client made it when none answered). */
  public ApiError error() {
    return error;
  }

  /** The error's code, for a caller that switches on it. */
  public ApiError.Code code() {
    return error.code();
  }

  /**
   * What a failed event-bus request means: a coordinator's refusal carries the ApiError as JSON in
   * the failure message (see the coordinator's EventBusApi); no handler or no answer in time means no
   * coordinator serves the address.
   */
  static ApiErrorException of(String address, Throwable failure, Duration timeout) {
    if (failure instanceof ApiErrorException known) {
      return known;
    }
    if (failure instanceof ReplyException reply) {
      switch (reply.failureType()) {
        case RECIPIENT_FAILURE:
          try {
            return new ApiErrorException(WireJson.read(reply.getMessage(), ApiError.class));
          } catch (WireJson.WireFormatException notApiError) {
            return new ApiErrorException(new ApiError(ApiError.Code.INTERNAL, "the handler of " + address
                + " failed with code " + reply.failureCode() + ": " + reply.getMessage(), List.of()));
          }
        case NO_HANDLERS:
          return new ApiErrorException(new ApiError(ApiError.Code.UNAVAILABLE, "no coordinator serves " + address
              + ": start a coordinator, or check that this client joined the coordinator's cluster (name and"
              + " --join)", List.of()));
        case TIMEOUT:
          return new ApiErrorException(new ApiError(ApiError.Code.UNAVAILABLE, "no answer on " + address
              + " within " + timeout.toMillis() + " ms: the coordinator is overloaded or was lost mid-request;"
              + " a submission may still have been recorded, so list the builds before submitting again",
              List.of()));
        default:
          break;
      }
    }
    return new ApiErrorException(new ApiError(ApiError.Code.INTERNAL, "request to " + address + " failed: "
        + failure, List.of()));
  }

  private static String text(ApiError error) {
    return error.code() + ": " + error.message()
        + (error.problems().isEmpty() ? "" : ": " + String.join("; ", error.problems()));
  }
}
