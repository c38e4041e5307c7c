package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The answer to a {@link SubmitBatch}: one {@link Result} per submission, in the batch's order, each sent only once
 * every accepted submission of the batch is durably recorded.
 */
public record SubmitResults(List<Result> results) {

  public SubmitResults {
    results = results == null ? List.of() : List.copyOf(results);
  }

  /**
   * One submission's answer: the id of its durably recorded build, or why it was refused (exactly one is set).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Result(String id, ApiError error) {
    public static Result accepted(String id) {
      return new Result(id, null);
    }

    public static Result refused(ApiError error) {
      return new Result(null, error);
    }
  }
}
