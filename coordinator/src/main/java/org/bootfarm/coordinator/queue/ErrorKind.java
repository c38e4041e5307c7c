package org.bootfarm.coordinator.queue;

/**
 * Why a build failed, as far as retrying is concerned: a DETERMINISTIC failure (a malformed
 * definition, a missing package, a bad signature) fails again with the same inputs and is never
 * retried; a TRANSIENT one (a lost worker, an expired lease, a full disk) may succeed elsewhere.
 */
public enum ErrorKind {
  DETERMINISTIC,
  TRANSIENT;

  /** Whether running the same build again may give a different outcome. */
  public boolean retryable() {
    return this == TRANSIENT;
  }
}
