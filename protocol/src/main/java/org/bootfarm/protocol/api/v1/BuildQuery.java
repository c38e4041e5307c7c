package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Filters of a build listing; null fields do not filter. {@code limit} defaults to 100. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildQuery(String repo, BuildState state, Integer limit) {
  public int limitOrDefault() {
    return limit == null ? 100 : Math.max(1, Math.min(limit, 1000));
  }
}
