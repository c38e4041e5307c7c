package org.bootfarm.coordinator;

import java.util.List;
import org.bootfarm.protocol.api.v1.ApiError;

/** A refused request: carries the {@link ApiError} every transport answers with. */
public final class ApiException extends Exception {
  private final ApiError error;

  public ApiException(ApiError.Code code, String message) {
    this(code, message, List.of());
  }

  public ApiException(ApiError.Code code, String message, List<String> problems) {
    super(problems.isEmpty() ? message : message + ": " + String.join("; ", problems));
    this.error = new ApiError(code, message, problems);
  }

  public ApiError error() {
    return error;
  }
}
