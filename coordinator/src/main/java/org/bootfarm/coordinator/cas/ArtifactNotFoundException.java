package org.bootfarm.coordinator.cas;

import java.io.IOException;

/** The store holds no artifact with the asked-for sha256. */
public final class ArtifactNotFoundException extends IOException {
  private final String sha256;

  ArtifactNotFoundException(String sha256, String message) {
    super(message);
    this.sha256 = sha256;
  }

  /** The sha256 that was asked for. */
  public String sha256() {
    return sha256;
  }
}
