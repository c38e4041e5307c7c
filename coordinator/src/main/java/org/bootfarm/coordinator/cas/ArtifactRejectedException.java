package org.bootfarm.coordinator.cas;

import java.io.IOException;

/**
 * An upload the store refused because of what the uploader sent (wrong content, too large):
 * nothing was published. An API answers it as the client's error, not the server's.
 */
public abstract sealed class ArtifactRejectedException extends IOException
    permits DigestMismatchException, ArtifactTooLargeException {
  private final String announcedSha256;

  ArtifactRejectedException(String announcedSha256, String message) {
    super(message);
    this.announcedSha256 = announcedSha256;
  }

  /** The sha256 the uploader announced. */
  public String announcedSha256() {
    return announcedSha256;
  }
}
