package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Definitions of the shapes VIC ships in its own {@code isos/base/repos} (written here, not copied) load
 * unchanged: an {@code init.sh} without a {@code drivers} array (no drivers, noted), {@code init}
 * {@code /lib/systemd/systemd}, a {@code yum} definition with {@code module-init-tools} and {@code systemd}
 * in {@code packages.base}, a {@code packages_script_staging.bootstrap} of {@code ""}, a key referenced by
 * https URL, disabled sections, and a definition whose name carries no version.
 */
@Tag("unit")
class VicShapedDefinitionsTest {

  /** An init.sh as VIC's later definitions write it: tracing on, both functions, no drivers array. */
  static final String INIT_WITHOUT_DRIVERS = """
      #!/bin/bash
      set -x

      # copies the entropy daemon into the tether root ($1)
      install-entropy () {
          mkdir -p $1/{opt/config,bin,lib64}
          cp /sbin/rngd $1/bin/rngd
          echo "/.tether/bin/rngd -f" > $1/opt/config/entropy.txt
      }

      # copies iptables and its wrapper into the tether root ($1)
      install-iptables () {
          mkdir -p $1/{bin,lib64}
          cp -L /sbin/iptables $1/bin/iptables
          printf '#!/bin/sh\\nexec chroot /.tether/ /bin/iptables "$@"\\n' > $1/bin/iptables-wrapper
          chmod a+x $1/bin/iptables-wrapper
      }
      """;

  @TempDir Path tmp;

  Path definition(String name, Map<String, String> files) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("repos").resolve(name));
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue());
    }
    return dir;
  }

  LoadOptions noTrustedKeys() throws IOException {
    return new LoadOptions(Files.createDirectories(tmp.resolve("no-keys")), false);
  }

  static void assertLoadsWithOnlyTheDriversNote(RepoDefinition def) {
    assertEquals(1, def.notes().size(), def.notes()::toString);
    assertEquals("init.sh", def.notes().get(0).file());
    assertEquals("drivers", def.notes().get(0).field());
    assertEquals(List.of(), def.unsigned());
    assertFalse(def.unsignedAllowed());
  }

  @Test
  void centosSevenShapeLoads() throws Exception {
    StringBuilder repo = new StringBuilder();
    for (String[] section : new String[][] {{"base", "1"}, {"updates", "1"}, {"extras", "1"}, {"plus", "0"}}) {
      repo.append("[centos-").append(section[0]).append("]\n")
          .append("name=CentOS-7 - ").append(section[0]).append('\n')
          .append("#mirrorlist=http://127.0.0.1/?release=7&repo=").append(section[0]).append('\n')
          .append("baseurl=http://127.0.0.1/centos/7/").append(section[0]).append("/x86_64/\n")
          .append("gpgkey=https://127.0.0.1/keys/RPM-GPG-KEY-CentOS-7\n")
          .append("gpgcheck=1\n")
          .append("enabled=").append(section[1]).append("\n\n");
    }
    Path dir = definition("centos-7", Map.of(
        "repo-spec.json", """
            {
                "name": "centos-7",
                "packagemanager": "yum",
                "kernel": "kernel",
                "init": "/lib/systemd/systemd",
                "packages_script_staging": {
                    "bootstrap": ""
                },
                "packages": {
                    "base": "filesystem coreutils bash module-init-tools systemd",
                    "bootstrap": "iptables udev rng-tools iptables util-linux-ng"
                }
            }""",
        "init.sh", INIT_WITHOUT_DRIVERS,
        "centos-7.repo", repo.toString()));
    RepoDefinition def = RepoDefinitionLoader.load(dir, noTrustedKeys());
    assertLoadsWithOnlyTheDriversNote(def);
    assertEquals("/lib/systemd/systemd", def.spec().init());
    assertEquals("", def.spec().stagingScript("bootstrap"));
    assertEquals(List.of(), def.gpgKeys(), "an https key is fetched by dnf, not resolved here");
    assertFalse(def.spec().supportsTarget("appliance"));
  }

  @Test
  void passthroughShapeWithTheKeyInTheDefinitionLoads() throws Exception {
    String repo = """
        [photon-1.0]
        name=Photon 1.0
        baseurl=https://127.0.0.1/photon_release_1.0_x86_64/
        gpgkey=file:///etc/pki/rpm-gpg/EXAMPLE-RPM-GPG-KEY
        gpgcheck=1
        enabled=1

        [photon-updates-1.0]
        name=Photon 1.0 Updates
        baseurl=https://127.0.0.1/photon_updates_1.0_x86_64/
        gpgkey=file:///etc/pki/rpm-gpg/EXAMPLE-RPM-GPG-KEY
        gpgcheck=1
        enabled=1
        """;
    Path dir = definition("photon-1.0-passthrough", Map.of(
        "repo-spec.json", """
            {
                "name": "photon-1.0-passthrough",
                "packagemanager": "tdnf",
                "kernel": "linux",
                "init": "/lib/systemd/systemd",
                "packages": {
                    "base": "filesystem coreutils kmod haveged iptables",
                    "bootstrap": "util-linux-ng grep which linux-tools iproute2",
                    "appliance": "procps-ng util-linux-ng e2fsprogs shadow systemd iputils iproute2 tdnf lsof"
                }
            }""",
        "init.sh", INIT_WITHOUT_DRIVERS,
        "photon.repo", repo,
        "EXAMPLE-RPM-GPG-KEY", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"));
    RepoDefinition def = RepoDefinitionLoader.load(dir, noTrustedKeys());
    assertLoadsWithOnlyTheDriversNote(def);
    assertEquals(List.of(dir.resolve("EXAMPLE-RPM-GPG-KEY")), def.gpgKeys().stream()
        .map(RepoDefinition.ResolvedKey::file).toList());
    assertTrue(def.spec().supportsTarget("appliance"));
  }

  @Test
  void versionlessNameWithoutStagingScriptsLoads() throws Exception {
    Path dir = definition("ci", Map.of(
        "repo-spec.json", """
            {
                "name": "ci",
                "packagemanager": "tdnf",
                "kernel": "linux-esx",
                "init": "/bin/init",
                "packages": {
                    "base": "filesystem coreutils kmod haveged iptables",
                    "bootstrap": ""
                }
            }""",
        "init.sh", INIT_WITHOUT_DRIVERS,
        "photon.repo", """
            [photon-2.0]
            baseurl=https://127.0.0.1/photon_release_2.0_x86_64/
            gpgkey=file:///etc/pki/rpm-gpg/EXAMPLE-RPM-GPG-KEY
            gpgcheck=1
            """,
        "EXAMPLE-RPM-GPG-KEY", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"));
    RepoDefinition def = RepoDefinitionLoader.load(dir, noTrustedKeys());
    assertLoadsWithOnlyTheDriversNote(def);
    assertEquals("ci", def.name());
    assertEquals(List.of(), def.spec().packageList("bootstrap"));
  }
}
