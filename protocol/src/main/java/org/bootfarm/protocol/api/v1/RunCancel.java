package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * The coordinator's word to a worker that a build it runs was cancelled, sent to the worker's
 * {@link Addresses#workerInbox} beside the {@link Assignment}s as {@code {"cancel": BUILD_ID, "attempt": N}}:
 * the worker stops that run at once, frees its slot and reports it (the report is refused, the build
 * being CANCELLED already). A worker that does not hold that run (it ended, or it is another attempt)
 * ignores it; a worker that predates this message does not read it as an assignment and ignores it too.
 *
 * @param cancel  the id of the cancelled build
 * @param attempt the {@link Assignment#attempt()} of the run to stop
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NONE) // read and written as itself; see WorkerInboxMessage
public record RunCancel(String cancel, int attempt) implements WorkerInboxMessage {
  public RunCancel {
    if (cancel == null || cancel.isBlank()) {
      throw new IllegalArgumentException("a run cancel needs the build id in 'cancel'");
    }
  }
}
