package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bootfarm.protocol.build.PackageOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The origin of a package file read from the lists apt verified, as apt names them. */
@Tag("unit")
class AptOriginsTest {
  private static final String MAIN = "http://127.0.0.1:8080/debian";
  private static final String SECURITY = "https://127.0.0.1:8443/debian-security/";
  private static final String BUSYBOX = "busybox-static_1%3a1.35.0-4+b3_amd64.deb";
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "b".repeat(64);

  @TempDir Path lists;

  @Test
  void listsPrefixIsAptsFileNameOfTheUri() {
    assertEquals("127.0.0.1:8080_debian_", AptOrigins.listsPrefix(MAIN));
    assertEquals("127.0.0.1:8443_debian-security_", AptOrigins.listsPrefix(SECURITY));
    assertEquals("127.0.0.1_my%5frepo_", AptOrigins.listsPrefix("http://user:secret@127.0.0.1/my_repo"));
    assertEquals("_srv_mirror_", AptOrigins.listsPrefix("file:/srv/mirror"));
  }

  @Test
  void quotedNamesDecodeAsAptQuotesThem() {
    assertEquals("busybox-static_1:1.35.0-4+b3_amd64.deb", AptOrigins.percentDecoded(BUSYBOX));
    assertEquals("100% ä", AptOrigins.percentDecoded("100% %c3%a4"));
    assertEquals("50%", AptOrigins.percentDecoded("50%"));
    assertEquals("127.0.0.1/my_repo/", AptOrigins.unquote("127.0.0.1_my%5frepo_"));
  }

  @Test
  void sourceOfAnIndexIsSuiteAndComponentUnderItsUri() {
    Set<String> names = Set.of("127.0.0.1:8080_debian_dists_bookworm_InRelease",
        "127.0.0.1:8080_debian_dists_bookworm-updates_InRelease",
        "127.0.0.1:8443_debian-security_dists_bookworm-security_InRelease",
        "127.0.0.1:8080_debian_dists_stable_updates_Release");
    List<String> uris = List.of(MAIN, SECURITY);
    assertEquals(Optional.of(new AptOrigins.Source(MAIN + "/", "bookworm/main")), AptOrigins.source(
        "127.0.0.1:8080_debian_dists_bookworm_main_binary-amd64_Packages", uris, names));
    assertEquals(Optional.of(new AptOrigins.Source(MAIN + "/", "bookworm-updates/non-free-firmware")),
        AptOrigins.source("127.0.0.1:8080_debian_dists_bookworm-updates_non-free-firmware_binary-amd64_Packages",
            uris, names));
    assertEquals(Optional.of(new AptOrigins.Source(SECURITY, "bookworm-security/main")), AptOrigins.source(
        "127.0.0.1:8443_debian-security_dists_bookworm-security_main_binary-amd64_Packages.xz", uris, names));
    assertEquals("stable/updates/main", AptOrigins.source(
        "127.0.0.1:8080_debian_dists_stable_updates_main_binary-amd64_Packages", uris, names).get().repository(),
        "a suite with a slash, known from its Release file");
    assertEquals(Optional.of(new AptOrigins.Source("http://127.0.0.1:9000/flat/", ".")), AptOrigins.source(
        "127.0.0.1:9000_flat_._Packages", List.of("http://127.0.0.1:9000/flat"), Set.of()));
    assertEquals(Optional.empty(), AptOrigins.source("127.0.0.1:9999_other_dists_x_main_binary-amd64_Packages",
        uris, names), "an index of a source the build did not name");
  }

  @Test
  void originIsTheIndexOfTheVeryFileInstalled() throws Exception {
    Files.writeString(lists.resolve("127.0.0.1:8080_debian_dists_bookworm_InRelease"), "signed");
    Files.writeString(lists.resolve("127.0.0.1:8080_debian_dists_bookworm_main_binary-amd64_Packages"),
        stanza("busybox-static", "1:1.35.0-4+b3", "amd64", SHA_A, "pool/main/b/busybox/busybox-static_1.35.0-4+b3_amd64.deb")
        + stanza("kmod", "30+20221128-1", "amd64", SHA_B, "pool/main/k/kmod/kmod_30+20221128-1_amd64.deb"));
    Files.writeString(lists.resolve("127.0.0.1:8443_debian-security_dists_bookworm-security_InRelease"), "signed");
    Files.writeString(lists.resolve(
        "127.0.0.1:8443_debian-security_dists_bookworm-security_main_binary-amd64_Packages"),
        stanza("kmod", "30+20221128-1", "amd64", "c".repeat(64), "pool/updates/main/k/kmod/kmod.deb"));

    AptOrigins origins = AptOrigins.read(lists, List.of(MAIN, SECURITY),
        Set.of(BUSYBOX, "kmod_30+20221128-1_amd64.deb"));

    assertEquals(Optional.of(new PackageOrigin("bookworm/main", MAIN + "/pool/main/b/busybox/"
        + "busybox-static_1.35.0-4+b3_amd64.deb")), origins.of(BUSYBOX, SHA_A));
    assertEquals(Optional.of(new PackageOrigin("bookworm-security/main", SECURITY
        + "pool/updates/main/k/kmod/kmod.deb")), origins.of("kmod_30+20221128-1_amd64.deb", "c".repeat(64)),
        "the same version in two archives: the file's sha256 says which");
    assertEquals("bookworm/main", origins.of("kmod_30+20221128-1_amd64.deb", SHA_B).get().repository());
    assertEquals(Optional.empty(), origins.of(BUSYBOX, SHA_B), "another file of the same name has no origin");
  }

  private static String stanza(String name, String version, String arch, String sha256, String filename) {
    return "Package: " + name + "\nVersion: " + version + "\nArchitecture: " + arch + "\nDescription: x\n long\n"
        + "Filename: " + filename + "\nSize: 1\nSHA256: " + sha256 + "\n\n";
  }
}
