package org.bootfarm.protocol.build;

import java.util.Comparator;
import java.util.List;

/**
 * The exact package set of a build, sorted by name then arch: part of the buildinfo, and the
 * input a rebuild pins.
 *
 * @param engine   the tool that installed them ({@code dnf}, {@code tdnf}, {@code yum}, {@code mmdebstrap})
 * @param packages the installed packages
 */
public record Lock(String engine, List<LockedPackage> packages) {
  public Lock {
    packages = packages.stream()
        .sorted(Comparator.comparing(LockedPackage::name).thenComparing(LockedPackage::arch))
        .toList();
  }

  /** The newest package build time, the default SOURCE_DATE_EPOCH of a build; 0 when none known. */
  public long newestBuildTime() {
    return packages.stream().mapToLong(LockedPackage::buildTime).max().orElse(0);
  }
}
