package org.bootfarm.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.bootfarm.worker.iso.IsoWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dpkg's word on this machine's files (ADR 0067): a tool bootfarm drives is named by its Debian package and full
 * version, as dpkg-query says it; a copy of a package's file elsewhere, or a file whose bytes are no longer the ones
 * the package shipped, is no package's.
 */
@Tag("unit")
class DebianPackagesTest {
  @TempDir Path dir;

  private static String dpkgVersion(String name) throws Exception {
    return ExternalCommand.output(List.of("dpkg-query", "-W", "-f=${Version}", name), java.util.Map.of()).get(0);
  }

  @Test
  void aToolIsNamedByItsPackageAndFullDebianVersion() throws Exception {
    assertEquals(Optional.of("xorriso " + dpkgVersion("xorriso")), ToolVersions.packaged("xorriso"));
    assertEquals("xorriso " + dpkgVersion("xorriso"), ToolVersions.of(List.of("xorriso", "-version")));
    assertTrue(dpkgVersion("xorriso").contains("-"), "a Debian revision, which xorriso -version does not print");
    // merged /usr: the kmod package lists /bin/kmod, the PATH finds /usr/bin/kmod
    assertEquals(Optional.of("kmod " + dpkgVersion("kmod")), ToolVersions.packaged("kmod"));
  }

  @Test
  void aHostFileIsItsPackagesOnlyWithTheBytesItShipped() throws Exception {
    assertEquals(Optional.of("isolinux " + dpkgVersion("isolinux")),
        DebianPackages.shipping("isolinux", IsoWriter.ISOLINUX_BIN, true));
    Path copy = Files.copy(IsoWriter.ISOLINUX_BIN, dir.resolve("isolinux.bin"));
    assertEquals(Optional.empty(), DebianPackages.shipping("isolinux", copy, true), "not where the package put it");
    assertEquals(Optional.empty(), DebianPackages.shipping("syslinux-common", IsoWriter.ISOLINUX_BIN, true),
        "another package's file");
  }
}
