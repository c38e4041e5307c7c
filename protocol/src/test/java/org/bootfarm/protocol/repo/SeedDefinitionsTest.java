package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Loads the definitions shipped in {@code repos/} the way tests and CI run {@code bootfarm check}:
 * with the trusted keys in {@code ../shared/keys} beside the repository root, which holds VMware's
 * Photon key but not the CentOS 6 key. So the Photon definitions load, and centos-6.9 reports
 * exactly one problem: its key is missing (operators install it, see repos/centos-6.9/README.md).
 */
@Tag("unit")
class SeedDefinitionsTest {

  /** The repository root: the nearest directory above the working directory holding repos/. */
  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("repos")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repos/ above " + Path.of("").toAbsolutePath());
  }

  static LoadOptions sharedKeys() {
    Path keys = repoRoot().resolveSibling("shared").resolve("keys");
    assertTrue(Files.isRegularFile(keys.resolve("VMWARE-RPM-GPG-KEY")),
        "the tests need VMware's Photon key at " + keys + "/VMWARE-RPM-GPG-KEY");
    return new LoadOptions(keys, false);
  }

  @Test
  void photon20LoadsWithTheSharedKeys() throws Exception {
    RepoDefinition def = RepoDefinitionLoader.load(repoRoot().resolve("repos/photon-2.0"), sharedKeys());
    assertEquals("tdnf", def.spec().packageManager());
    assertEquals("linux-esx", def.spec().kernel());
    assertEquals(List.of("filesystem", "toybox", "kmod", "haveged", "iptables"), def.spec().packageList("base"));
    assertEquals("erase toybox", def.spec().stagingScript("appliance"));
    assertEquals(1, def.gpgKeys().size());
    assertEquals(sharedKeys().trustedKeysDir().resolve("VMWARE-RPM-GPG-KEY").toAbsolutePath(),
        def.gpgKeys().get(0).file());
  }

  @Test
  void photon10LoadsWithTheSharedKeys() throws Exception {
    RepoDefinition def = RepoDefinitionLoader.load(repoRoot().resolve("repos/photon-1.0"), sharedKeys());
    assertEquals(List.of("grep", "iproute2"), def.spec().packageList("bootstrap"));
    assertTrue(def.spec().supportsTarget("appliance"));
  }

  @Test
  void centos69ReportsOnlyItsMissingKey() throws Exception {
    Path dir = repoRoot().resolve("repos/centos-6.9");
    List<DefinitionProblem> problems =
        assertThrows(DefinitionException.class, () -> RepoDefinitionLoader.load(dir, sharedKeys())).problems();
    assertEquals(1, problems.size(), problems::toString);
    DefinitionProblem p = problems.get(0);
    assertEquals("centos-6.9.repo", p.file());
    assertEquals("[centos-6.9-os] gpgkey", p.field());
    assertTrue(p.message().startsWith("key file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6 not found (also used by"
        + " [centos-6.9-updates], [centos-6.10-kernel]): looked for RPM-GPG-KEY-CentOS-6 in the definition"
        + " directory " + dir.toAbsolutePath()), p.message());
  }

  @Test
  void centos69LoadsOnceTheOperatorInstalledItsKey() throws Exception {
    Path dir = repoRoot().resolve("repos/centos-6.9");
    Path keys = Files.createTempDirectory("bootfarm-keys");
    try {
      // stands in for the key the operator installs; the loader checks presence, the driver checks signatures
      Files.writeString(keys.resolve("RPM-GPG-KEY-CentOS-6"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
      RepoDefinition def = RepoDefinitionLoader.load(dir, new LoadOptions(keys, false));
      assertEquals("yum", def.spec().packageManager());
      assertEquals("kernel-2.6.32-754.el6", def.spec().kernel());
      assertTrue(def.baseHook().isPresent() && def.stagingHook().isPresent());
      assertTrue(!def.spec().supportsTarget("appliance"));
    } finally {
      Files.deleteIfExists(keys.resolve("RPM-GPG-KEY-CentOS-6"));
      Files.delete(keys);
    }
  }
}
