package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the package files of an apt install are split over connections: read from {@code apt-get --print-uris}
 * with the SHA256 of the signed indices (never apt's printed hash, which is MD5Sum or nothing), or not at all when
 * a line or a file's SHA256 is not certain; shards of about equal cost (bytes and a round trip a file), the same for the same files.
 */
@Tag("unit")
class AptFetchPlanTest {
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "b".repeat(64);

  @TempDir Path lists;

  private AptPackageIndex index(String... stanzas) throws Exception {
    Files.writeString(lists.resolve("mirror.invalid_debian_dists_bookworm_main_binary-amd64_Packages"),
        String.join("\n", stanzas));
    List<String> names = new ArrayList<>();
    for (String s : stanzas) {
      String pkg = field(s, "Package"), version = field(s, "Version"), arch = field(s, "Architecture");
      names.add(AptPackageIndex.archiveName(pkg, version, arch));
    }
    return AptPackageIndex.read(lists, new HashSet<>(names));
  }

  private static String field(String stanza, String name) {
    return stanza.lines().filter(l -> l.startsWith(name + ": ")).findFirst().orElseThrow().substring(name.length() + 2);
  }

  private static String stanza(String pkg, String version, String sha256) {
    return "Package: " + pkg + "\nVersion: " + version + "\nArchitecture: amd64\nSHA256: " + sha256 + "\n";
  }

  @Test
  void eachFileTakesTheSha256OfTheSignedIndexWhateverHashAptPrinted() throws Exception {
    AptPackageIndex index = index(stanza("libc6", "2.36-9+deb12u10", SHA_A), stanza("perl-base", "1:5.36.0-7", SHA_B));
    List<String> listing = List.of(
        "'http://mirror.invalid/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u10_amd64.deb'"
            + " libc6_2.36-9+deb12u10_amd64.deb 2757536 MD5Sum:8d98f0c882f269aaee8437bcfe89346e",
        // bookworm-security lists no MD5Sum: the hash field is empty
        "'http://mirror.invalid/debian-security/pool/p/perl-base_5.36.0-7_amd64.deb' perl-base_1%3a5.36.0-7_amd64.deb 1609596 ",
        "");

    assertEquals(Optional.of(List.of(
        new AptFetchPlan.PackageFile("http://mirror.invalid/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u10_amd64.deb",
            "libc6_2.36-9+deb12u10_amd64.deb", 2757536, SHA_A),
        new AptFetchPlan.PackageFile("http://mirror.invalid/debian-security/pool/p/perl-base_5.36.0-7_amd64.deb",
            "perl-base_1%3a5.36.0-7_amd64.deb", 1609596, SHA_B))), AptFetchPlan.read(listing, index));
  }

  @Test
  void aLineNotUnderstoodOrAFileWithoutOneCertainSha256LeavesTheDownloadToAptGet() throws Exception {
    AptPackageIndex index = index(stanza("libc6", "1", SHA_A), stanza("kmod", "2", SHA_B));
    String libc = "'http://m.invalid/libc6_1_amd64.deb' libc6_1_amd64.deb 10 ";
    assertTrue(AptFetchPlan.read(List.of(libc), index).isPresent());
    assertEquals(Optional.empty(), AptFetchPlan.read(List.of(libc, "W: Some index files failed to download"), index));
    assertEquals(Optional.empty(), AptFetchPlan.read(List.of(libc,
        "'http://m.invalid/busybox_3_amd64.deb' busybox_3_amd64.deb 10 "), index), "not in the signed index");
    assertEquals(Optional.empty(), AptFetchPlan.read(List.of("'http://m.invalid/x' ../../etc/x 10 "), index));

    Files.writeString(lists.resolve("other.invalid_debian_dists_bookworm_main_binary-amd64_Packages"),
        stanza("libc6", "1", SHA_B));
    AptPackageIndex disagreeing = AptPackageIndex.read(lists, new HashSet<>(List.of("libc6_1_amd64.deb")));
    assertEquals(Optional.empty(), AptFetchPlan.read(List.of(libc), disagreeing), "two sources, two SHA256");
  }

  @Test
  void shardsHoldAboutEqualCostLargestFirstAndAreTheSameForTheSameFiles() {
    List<AptFetchPlan.PackageFile> files = new ArrayList<>();
    // debian-12's kernel package and 40 small files, as a cold bootstrap fetches them
    files.add(new AptFetchPlan.PackageFile("http://m.invalid/k.deb", "kernel_1_amd64.deb", 26_700_000, SHA_A));
    for (int i = 0; i < 40; i++) {
      files.add(new AptFetchPlan.PackageFile("http://m.invalid/" + i + ".deb", "p" + i + "_1_amd64.deb",
          50_000 + 25_000 * i, SHA_A));
    }

    List<List<AptFetchPlan.PackageFile>> shards = AptFetchPlan.shards(files, 3);

    assertEquals(3, shards.size());
    assertEquals(files.get(0), shards.get(0).get(0), "the kernel package first");
    assertTrue(shards.get(0).size() > 5, "the kernel's connection takes small files too: " + shards.get(0).size());
    long[] cost = shards.stream().mapToLong(s -> s.stream().mapToLong(f -> f.size() + AptFetchPlan.FILE_COST_BYTES)
        .sum()).toArray();
    long most = java.util.Arrays.stream(cost).max().orElseThrow();
    long least = java.util.Arrays.stream(cost).min().orElseThrow();
    assertTrue(most - least <= AptFetchPlan.FILE_COST_BYTES + 1_025_000, java.util.Arrays.toString(cost));
    assertEquals(files.size(), shards.stream().mapToInt(List::size).sum());
    List<AptFetchPlan.PackageFile> reversed = new ArrayList<>(files);
    java.util.Collections.reverse(reversed);
    assertEquals(shards, AptFetchPlan.shards(reversed, 3), "the order apt listed them in does not matter");
    assertEquals(2, AptFetchPlan.shards(files.subList(0, 2), 3).size(), "no empty shard");
    assertEquals(1, AptFetchPlan.shards(files, 1).size());
  }

  @Test
  void theWorkerSetsTheConnectionsFromOneToSixteenAndABadValueSaysWhatToDo() throws Exception {
    assertEquals(3, AptFetchPlan.connections(java.util.Map.of()));
    assertEquals(3, AptFetchPlan.connections(java.util.Map.of("BOOTFARM_APT_CONNECTIONS", " ")));
    assertEquals(1, AptFetchPlan.connections(java.util.Map.of("BOOTFARM_APT_CONNECTIONS", "1")));
    assertEquals(16, AptFetchPlan.connections(java.util.Map.of("BOOTFARM_APT_CONNECTIONS", " 16 ")));
    for (String bad : List.of("0", "17", "three", "-2")) {
      org.bootfarm.worker.BuildFailure failure = org.junit.jupiter.api.Assertions.assertThrows(
          org.bootfarm.worker.BuildFailure.class,
          () -> AptFetchPlan.connections(java.util.Map.of("BOOTFARM_APT_CONNECTIONS", bad)));
      assertEquals(org.bootfarm.worker.BuildFailure.Kind.TOOL, failure.kind());
      assertTrue(failure.getMessage().startsWith("BOOTFARM_APT_CONNECTIONS=" + bad + " on this worker is no number from 1"
          + " to 16") && failure.getMessage().contains("or unset it for 3"), failure.getMessage());
    }
  }

  @Test
  void eachShardIsOneAptHelperFetchingIntoPartialWithTheSha256Checked() {
    AptFetchPlan.PackageFile a = new AptFetchPlan.PackageFile("http://m.invalid/a%2b1.deb", "a_1+1_all.deb", 5, SHA_A);
    AptFetchPlan.PackageFile b = new AptFetchPlan.PackageFile("http://m.invalid/b.deb", "b_2_all.deb", 7, SHA_B);
    assertEquals(List.of("/usr/lib/apt/apt-helper", "download-file",
        "http://m.invalid/a%2b1.deb", "/r/var/cache/apt/archives/partial/a_1+1_all.deb", "SHA256:" + SHA_A,
        "http://m.invalid/b.deb", "/r/var/cache/apt/archives/partial/b_2_all.deb", "SHA256:" + SHA_B),
        AptFetchPlan.helperCommand(List.of(a, b), "/r/var/cache/apt/archives/partial"));
  }
}
