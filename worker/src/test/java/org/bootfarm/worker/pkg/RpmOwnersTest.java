package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How one {@code rpm -qf} of many paths is read: which paths it names as owned by no package. */
@Tag("unit")
class RpmOwnersTest {

  @Test
  void pathsRpmNamesAsNotOwnedOrUnreadableAreNotOwnedAndTheOthersAre() {
    List<String> asked = List.of("/var/cache/bootfarm/repos/x", "/var/cache/bootfarm", "/var/cache", "/gone");
    List<String> output = List.of(
        "file /var/cache/bootfarm/repos/x is not owned by any package",
        "file /var/cache/bootfarm is not owned by any package",
        "filesystem-1.1-1.fixture.noarch",
        "error: file /gone: No such file or directory");

    assertEquals(Set.of("/var/cache/bootfarm/repos/x", "/var/cache/bootfarm", "/gone"),
        RpmOwners.notOwned(output, asked));
  }

  @Test
  void aPathWithSpacesIsReadWhole() {
    List<String> asked = List.of("/var/cache/a b is not owned", "/var");
    assertEquals(Set.of("/var/cache/a b is not owned"), RpmOwners.notOwned(
        List.of("file /var/cache/a b is not owned is not owned by any package", "filesystem-1.1-1.fixture.noarch"),
        asked));
  }

  @Test
  void outputNamingAPathThatWasNotAskedIsNotUnderstood() {
    // e.g. a path holding ": " cut short, or another rpm's wording: the caller then asks path by path
    assertNull(RpmOwners.notOwned(List.of("error: file /a: b: No such file or directory"), List.of("/a: b")));
    assertNull(RpmOwners.notOwned(List.of("file /elsewhere is not owned by any package"), List.of("/var")));
  }

  @Test
  void ownedPathsProduceNoLineOfTheirOwn() {
    assertEquals(Set.of(), RpmOwners.notOwned(List.of("filesystem-1.1-1.fixture.noarch", "kmod-25-1.ph2.x86_64"),
        List.of("/var", "/usr/bin")));
  }
}
