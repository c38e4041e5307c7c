package org.bootfarm.coordinator.cas;

import java.io.IOException;

/** A delete of an artifact that is pinned: unpin it first. */
public final class ArtifactPinnedException extends IOException {
  private final String sha256;
  private final String reason;

  ArtifactPinnedException(String sha256, String reason) {
    super("artifact " + sha256 + " is pinned (" + reason + "); unpin it before deleting it");
    this.sha256 = sha256;
    this.reason = reason;
  }

  /** The pinned artifact. */
  public String sha256() {
    return sha256;
  }

  /** Why it was pinned. */
  public String reason() {
    return reason;
  }
}
