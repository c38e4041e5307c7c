package org.bootfarm.protocol.api.v1;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Several submissions in one event-bus message ({@link Addresses#SUBMIT_MANY}): what a client carries when it has
 * more than one submission waiting at once, so that one message, one signature and one reply carry them all
 * (docs/adr/0056). Each is the {@link SubmitRequest} it would be alone, and is accepted or refused on its own;
 * the reply is a {@link SubmitResults} in the same order.
 *
 * @param submissions at least one and at most {@link #MAX_SUBMISSIONS}
 */
public record SubmitBatch(List<SubmitRequest> submissions) {
  /** Most submissions one message may carry; the whole message is also bound by {@link Addresses#MAX_REQUEST_BYTES}. */
  public static final int MAX_SUBMISSIONS = 128;

  public SubmitBatch {
    // not List.copyOf: a null entry is a problem to name (problem()), not an exception here
    submissions = submissions == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(submissions));
  }

  /** What is wrong with the batch as a whole (each submission's own problems are its own answer). */
  public String problem() {
    if (submissions.isEmpty()) {
      return "submissions: required, a list of 1 to " + MAX_SUBMISSIONS + " submit requests";
    }
    if (submissions.size() > MAX_SUBMISSIONS) {
      return "submissions: " + submissions.size() + " in one message, at most " + MAX_SUBMISSIONS
          + "; send the rest in another";
    }
    return submissions.stream().anyMatch(Objects::isNull) ? "submissions: an entry is null; each is a submit request object" : null;
  }
}
