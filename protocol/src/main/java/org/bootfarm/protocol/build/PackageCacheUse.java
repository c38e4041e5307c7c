package org.bootfarm.protocol.build;

/**
 * How a build's package install used the worker's warm cache: package files downloaded (and their
 * bytes) against files taken from the cache. A second build of an unchanged repo on the same worker
 * downloads nothing. It varies between two builds of the same inputs, so it is recorded with the
 * build, never in its buildinfo.
 */
public record PackageCacheUse(int downloaded, long bytesDownloaded, int fromCache) {
  /** The share of package files that came from the cache, 0 to 1; 1 when nothing was installed. */
  public double hitRatio() {
    int total = downloaded + fromCache;
    return total == 0 ? 1.0 : (double) fromCache / total;
  }
}
