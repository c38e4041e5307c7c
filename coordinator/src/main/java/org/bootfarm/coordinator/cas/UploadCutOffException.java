package org.bootfarm.coordinator.cas;

import java.io.IOException;

/**
 * An upload the coordinator stopped reading because it took too long ({@link UploadLimits}): past its deadline,
 * slower than the minimum rate, or silent for the idle timeout. Nothing was stored; the HTTP API answers 408.
 */
public final class UploadCutOffException extends IOException {
  /** Why it was cut off. */
  public enum Reason {
    DEADLINE, TOO_SLOW, IDLE
  }

  private final Reason reason;

  UploadCutOffException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
