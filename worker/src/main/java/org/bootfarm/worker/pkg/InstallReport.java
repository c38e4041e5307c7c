package org.bootfarm.worker.pkg;

/**
 * What one install cost: how many package files were fetched from the network and how many came
 * from the warm cache. A second build of an unchanged repo reports {@code downloaded == 0}.
 */
public record InstallReport(int downloaded, long bytesDownloaded, int fromCache) {
  public static final InstallReport NOTHING = new InstallReport(0, 0, 0);

  public InstallReport plus(InstallReport other) {
    return new InstallReport(downloaded + other.downloaded, bytesDownloaded + other.bytesDownloaded,
        fromCache + other.fromCache);
  }
}
