package org.bootfarm.protocol.build;

/**
 * How a build's package install used the worker's warm cache: package files downloaded (and their
 * bytes) against files taken from the cache. A second build of an unchanged repo on the same worker
 * downloads nothing. It varies between two builds of the same inputs, so it is recorded with the
 * build, never in its buildinfo.
 *
 * @param cachedFrom for a build served whole from its machine's action cache (nothing installed, nothing ran):
 *     the build that made the outputs it published, by its farm id ({@code buildinfo:<sha256>} for one made by a
 *     local build); absent from the JSON for a build that ran (docs/adr/0048)
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record PackageCacheUse(int downloaded, long bytesDownloaded, int fromCache, String cachedFrom) {
  /** The use of a build that ran. */
  public PackageCacheUse(int downloaded, long bytesDownloaded, int fromCache) {
    this(downloaded, bytesDownloaded, fromCache, null);
  }

  /** The use of a build served from the action cache: the outputs {@code build} made, nothing installed. */
  public static PackageCacheUse servedFrom(String build) {
    return new PackageCacheUse(0, 0, 0, build);
  }

  /** The share of package files that came from the cache, 0 to 1; 1 when nothing was installed. */
  public double hitRatio() {
    int total = downloaded + fromCache;
    return total == 0 ? 1.0 : (double) fromCache / total;
  }
}
