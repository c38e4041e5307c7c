package org.bootfarm.coordinator.placement;

import java.util.Objects;

/**
 * What a build needs from a worker: the repo it builds (the rendezvous key), the package manager
 * its definition names, the arch it targets, and the free disk it needs.
 *
 * @param repo the repo name, e.g. {@code photon-2.0}
 * @param packageManager the package manager the repo definition uses, e.g. {@code tdnf}
 * @param arch the architecture the image is for, e.g. {@code x86_64}
 * @param diskBytes free disk the worker must have (0 when unknown)
 */
public record PlacementRequest(String repo, String packageManager, String arch, long diskBytes) {
  public PlacementRequest {
    if (repo == null || repo.isBlank()) {
      throw new IllegalArgumentException("placement request without a repo name");
    }
    if (packageManager == null || packageManager.isBlank()) {
      throw new IllegalArgumentException("placement request for " + repo
          + " names no package manager: the repo definition must say which one it uses");
    }
    Objects.requireNonNull(arch, () -> "placement request for " + repo + " names no arch");
    if (diskBytes < 0) {
      throw new IllegalArgumentException("placement request for " + repo
          + ": disk bytes must be >= 0, was " + diskBytes);
    }
  }

  /** A request that needs no particular amount of free disk. */
  public static PlacementRequest of(String repo, String packageManager, String arch) {
    return new PlacementRequest(repo, packageManager, arch, 0);
  }
}
