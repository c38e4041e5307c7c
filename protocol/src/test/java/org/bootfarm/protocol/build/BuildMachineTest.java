package org.bootfarm.protocol.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two machines compared as their buildinfos record them: builder, then tools and host files by name. */
@Tag("unit")
class BuildMachineTest {

  private static final String ISOLINUX = "/usr/lib/ISOLINUX/isolinux.bin";

  private static final BuildMachine LEFT = BuildMachine.of("bootfarm-0.1.0+engine.aaa",
      Map.of("xorriso", "xorriso 1.5.4-4", "zlib", "zlib1g 1:1.2.13.dfsg-1", "kmod", "kmod 30+20221128-1"),
      Map.of(ISOLINUX, new HostFile("a".repeat(64), "isolinux 3:6.04-1")));

  @Test
  void theSameMachineHasNoDifferences() {
    assertEquals(List.of(), LEFT.differences("left", LEFT, "right", "none"));
  }

  @Test
  void eachDifferenceIsOneLineNamingBothSides() {
    BuildMachine right = BuildMachine.of("bootfarm-0.1.0+engine.bbb",
        Map.of("xorriso", "xorriso 1.5.6-1", "zlib", "zlib1g 1:1.2.13.dfsg-1", "dpkg", "dpkg 1.21.22"),
        Map.of(ISOLINUX, new HostFile("b".repeat(64), null)));
    assertEquals(List.of(
        "builder: left bootfarm-0.1.0+engine.aaa, right bootfarm-0.1.0+engine.bbb",
        "tool dpkg: left none, right dpkg 1.21.22",
        "tool kmod: left kmod 30+20221128-1, right none",
        "tool xorriso: left xorriso 1.5.4-4, right xorriso 1.5.6-1",
        "host file " + ISOLINUX + ": left sha256 " + "a".repeat(64) + " (isolinux 3:6.04-1), right " + "b".repeat(64)
            + " (no installed Debian package ships it)"),
        LEFT.differences("left", right, "right", "none"));
  }

  @Test
  void aHostFileOneSideLacksIsShownAsTheCallerSays() {
    BuildMachine old = BuildMachine.of(LEFT.builder(), LEFT.tools(), Map.of());
    assertEquals(List.of("host file " + ISOLINUX + ": recorded sha256 none (format 1), here " + "a".repeat(64)
        + " (isolinux 3:6.04-1)"), old.differences("recorded", LEFT, "here", "none (format 1)"));
  }
}
