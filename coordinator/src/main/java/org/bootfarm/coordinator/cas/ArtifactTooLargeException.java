package org.bootfarm.coordinator.cas;

/** An upload went past the store's per-object size limit; reading stopped there. */
public final class ArtifactTooLargeException extends ArtifactRejectedException {
  private final long limit;

  ArtifactTooLargeException(String announcedSha256, long limit) {
    super(
        announcedSha256,
        "upload of "
            + announcedSha256
            + " is larger than the artifact store's limit of "
            + limit
            + " bytes per object; nothing was stored. Raise the limit"
            + " (ArtifactStore.Options.maxObjectBytes) or send a smaller artifact");
    this.limit = limit;
  }

  /** The per-object limit in bytes. */
  public long limit() {
    return limit;
  }
}
