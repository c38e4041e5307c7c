package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One package exactly as installed into an image: enough to fetch the very same file again.
 *
 * @param name      package name
 * @param version   full version: {@code [epoch:]version-release} for RPM, the Debian version for deb
 * @param arch      architecture ({@code x86_64}, {@code noarch}, {@code amd64}, {@code all})
 * @param sha256    sha256 of the package file that was installed; the farm archives the file under it
 * @param buildTime the package's own build time in epoch seconds (RPM BUILDTIME, or the .deb's
 *                  member timestamp), 0 when unknown
 * @param origin    where the file came from upstream; a rebuild from archived inputs keeps the original
 *                  build's origin (its buildinfo stays the same); absent from the JSON when unknown
 */
public record LockedPackage(String name, String version, String arch, String sha256, long buildTime,
    @JsonInclude(JsonInclude.Include.NON_NULL) PackageOrigin origin) {

  /** A package whose origin is not known. */
  public LockedPackage(String name, String version, String arch, String sha256, long buildTime) {
    this(name, version, arch, sha256, buildTime, null);
  }

  /** The same package with {@code newOrigin}. */
  public LockedPackage withOrigin(PackageOrigin newOrigin) {
    return new LockedPackage(name, version, arch, sha256, buildTime, newOrigin);
  }

  /** {@code name-version.arch}, how logs and errors name it. */
  public String describe() {
    return name + "-" + version + "." + arch;
  }
}
