package org.bootfarm.protocol.build;

/**
 * One package exactly as installed into an image: enough to fetch the very same file again.
 *
 * @param name      package name
 * @param version   full version: {@code [epoch:]version-release} for RPM, the Debian version for deb
 * @param arch      architecture ({@code x86_64}, {@code noarch}, {@code amd64}, {@code all})
 * @param sha256    sha256 of the package file that was installed
 * @param buildTime the package's own build time in epoch seconds (RPM BUILDTIME, or the .deb's
 *                  member timestamp), 0 when unknown
 */
public record LockedPackage(String name, String version, String arch, String sha256, long buildTime) {}
