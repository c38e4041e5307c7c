package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which of a bootstrap's files mmdebstrap's essential phase may need: a closure that never leaves one out. */
@Tag("unit")
class AptEssentialSetTest {
  @TempDir Path lists;

  /** A Packages index in apt's lists directory, read as the bootstrap reads it, with every file of it wanted. */
  private Set<String> essentialOf(String packages, String... wanted) throws Exception {
    Files.writeString(lists.resolve("deb.example_debian_dists_bookworm_main_binary-amd64_Packages"), packages);
    return new TreeSet<>(AptEssentialSet.of(AptPackageIndex.readWithRelations(lists, Set.of(wanted))));
  }

  private static String stanza(String name, String... fields) {
    StringBuilder s = new StringBuilder("Package: " + name + "\nVersion: 1\nArchitecture: amd64\n");
    for (String field : fields) {
      s.append(field).append('\n');
    }
    return s.append("SHA256: ").append("0".repeat(64)).append("\n\n").toString();
  }

  private static String deb(String name) {
    return name + "_1_amd64.deb";
  }

  @Test
  void followsPreDependsDependsRecommendsEveryAlternativeAndEveryProvider() throws Exception {
    String index = stanza("dpkg", "Essential: yes", "Pre-Depends: libc6 (>= 2.34), zlib1g")
        + stanza("libc6", "Depends: libgcc-s1")
        + stanza("libgcc-s1")
        + stanza("zlib1g")
        + stanza("debconf", "Essential: yes", "Depends: perl-base:any | awk, libselinux1 [amd64]",
            "Recommends: apt-utils (>= 0.5)")
        + stanza("perl-base")
        + stanza("mawk", "Provides: awk")
        + stanza("libselinux1")
        + stanza("apt-utils")
        + stanza("busybox-static", "Depends: libc6")
        + stanza("linux-image-cloud-amd64", "Depends: linux-image-6.1.0-57-cloud-amd64")
        + stanza("linux-image-6.1.0-57-cloud-amd64", "Recommends: firmware-linux-free");
    Set<String> all = new TreeSet<>();
    for (String name : List.of("dpkg", "libc6", "libgcc-s1", "zlib1g", "debconf", "perl-base", "mawk", "libselinux1",
        "apt-utils", "busybox-static", "linux-image-cloud-amd64", "linux-image-6.1.0-57-cloud-amd64")) {
      all.add(deb(name));
    }
    assertEquals(new TreeSet<>(List.of(deb("dpkg"), deb("libc6"), deb("libgcc-s1"), deb("zlib1g"), deb("debconf"),
        deb("perl-base"), deb("mawk"), deb("libselinux1"), deb("apt-utils"))),
        essentialOf(index, all.toArray(String[]::new)));
  }

  @Test
  void aPackageOutsideTheBootstrapIsNotFollowedAndNothingEssentialMeansNothing() throws Exception {
    String index = stanza("base-files", "Essential: yes", "Pre-Depends: awk")
        + stanza("mawk", "Provides: awk", "Depends: libc6")
        + stanza("libc6")
        + stanza("gawk", "Provides: awk", "Depends: libgmp10")
        + stanza("libgmp10");
    // gawk provides awk too, but the bootstrap does not install it: libgmp10 is reached only through it
    assertEquals(Set.of(deb("base-files"), deb("mawk"), deb("libc6")),
        essentialOf(index, deb("base-files"), deb("mawk"), deb("libc6"), deb("libgmp10")));
    assertEquals(Set.of(), essentialOf(index, deb("mawk"), deb("libc6")));
  }

  @Test
  void relationNamesLoseVersionsArchitecturesAndQualifiers() {
    assertEquals(List.of("libc6", "debconf", "debconf-2.0", "perl", "libfoo"),
        AptEssentialSet.names("libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, perl:any, libfoo [amd64] <!nocheck>"));
    assertEquals(List.of(), AptEssentialSet.names(null));
    assertEquals(List.of(), AptEssentialSet.names(" "));
  }
}
