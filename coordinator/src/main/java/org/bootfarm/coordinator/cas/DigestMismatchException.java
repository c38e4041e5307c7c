package org.bootfarm.coordinator.cas;

/** The uploaded bytes do not hash to the announced sha256; the message names both. */
public final class DigestMismatchException extends ArtifactRejectedException {
  private final String actualSha256;
  private final long size;

  DigestMismatchException(String announcedSha256, String actualSha256, long size) {
    super(
        announcedSha256,
        "upload announced as sha256 "
            + announcedSha256
            + " hashes to "
            + actualSha256
            + " ("
            + size
            + " bytes received); nothing was stored. Re-send the file or announce the hash of"
            + " what is sent");
    this.actualSha256 = actualSha256;
    this.size = size;
  }

  /** The sha256 of what was actually received. */
  public String actualSha256() {
    return actualSha256;
  }

  /** How many bytes were received. */
  public long size() {
    return size;
  }
}
