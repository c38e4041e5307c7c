package org.bootfarm.coordinator;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.bootfarm.coordinator.cas.ArtifactStore;

/**
 * The artifact-store touches of one admission (a submission, or a batch of them recorded in one commit, docs/adr/0056):
 * each object the admission names — a component, a pinned definition — is asked of the store, and its age reset for
 * retention, once, however many submissions of the batch name it. The reset guards the object from a collection
 * running before the builds naming it are recorded; a batch is recorded in one commit milliseconds later, so one
 * reset covers every submission of it. Not shared between admissions or threads.
 */
final class ArtifactTouches {
  private final ArtifactStore artifacts;
  /** What the store answered, by sha256; true also for an object this admission stored itself. */
  private final Map<String, Boolean> held = new HashMap<>();

  ArtifactTouches(ArtifactStore artifacts) {
    this.artifacts = artifacts;
  }

  /** Whether the store holds {@code sha256}; the first ask of this admission resets its age ({@link ArtifactStore#touch}). */
  boolean touch(String sha256) throws IOException {
    Boolean known = held.get(sha256);
    if (known == null) {
      known = artifacts.touch(sha256);
      held.put(sha256, known);
    }
    return known;
  }

  /** Notes that {@code sha256} is in the store now, just put by this admission (so young). */
  void nowHeld(String sha256) {
    held.put(sha256, true);
  }
}
