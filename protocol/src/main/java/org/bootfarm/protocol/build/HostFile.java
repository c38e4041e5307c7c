package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A file of the building machine that went into an output as it is (isolinux's boot sector and core module):
 * its sha256, and the Debian package and full version that shipped those bytes ({@code isolinux
 * 3:6.04~git20190206.bf6db5b4+dfsg1-3}), absent when no installed package shipped them (the file was changed after
 * its install, or dpkg does not know it). A buildinfo names each by its path ({@link BuildInfo#hostFiles}).
 *
 * @param sha256        the file's sha256
 * @param debianPackage {@code PACKAGE VERSION}, or null
 */
public record HostFile(String sha256, @JsonProperty("package") @JsonInclude(JsonInclude.Include.NON_NULL) String debianPackage) {

  /** How an error names it: the sha256, and the package when known. */
  public String describe() {
    return sha256 + (debianPackage == null ? " (no installed Debian package ships it)" : " (" + debianPackage + ")");
  }
}
