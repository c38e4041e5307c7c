package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How a dnf lock is compared with dnf's resolution (docs/adr/0054): the last transaction only; the repo id and the
 * file's sha256 must match; a package without an origin is one dnf took from its command line; a repository that
 * states another checksum type than sha256 never matches; no lock never matches; the reason names the first few
 * differing files with shortened checksums and counts the rest.
 */
@Tag("unit")
class ResolutionCheckTest {
  private static final String A = "a".repeat(64);
  private static final String B = "b".repeat(64);
  private final DnfDriver dnf = new DnfDriver();

  private static LockedPackage pkg(String name, String version, String sha256, String repo) {
    return new LockedPackage(name, version, "x86_64", sha256, 1L,
        repo == null ? null : new PackageOrigin(repo, "http://repo.invalid/" + name + ".rpm"));
  }

  @Test
  void theLastTransactionMatchesByRepoIdAndSha256AndACommandLineFileHasNoOrigin() {
    List<String> resolved = List.of("transaction 0", "filesystem 1-1 x86_64 photon sha256 " + B,
        "transaction 1", "linux-esx 1:4.19-1 x86_64 @commandline sha256 " + A,
        "haveged 1.9-1 x86_64 photon-updates sha256 " + B);
    Lock lock = new Lock("dnf", List.of(pkg("haveged", "1.9-1", B, "photon-updates"), pkg("linux-esx", "1:4.19-1", A,
        null)));
    assertEquals(Optional.empty(), ResolutionCheck.mismatch(dnf, resolved, lock));
    Lock otherRepo = new Lock("dnf", List.of(pkg("haveged", "1.9-1", B, "photon"), pkg("linux-esx", "1:4.19-1", A,
        null)));
    assertEquals(Optional.of("the build installed other package files than its key names (a base stage from the"
        + " stage cache, or a repository that moved meanwhile); resolved but not installed: haveged 1.9-1 x86_64"
        + " photon-updates sha256 bbbbbbbbbbbb…; installed but not resolved: haveged 1.9-1 x86_64 photon sha256"
        + " bbbbbbbbbbbb…"), ResolutionCheck.mismatch(dnf, resolved, otherRepo), "the origin is in the buildinfo");
  }

  @Test
  void aRepositoryStatingAnotherChecksumTypeNeverMatches() {
    List<String> resolved = List.of("transaction 0", "haveged 1.9-1 x86_64 photon sha512 " + A + A);
    Lock lock = new Lock("dnf", List.of(pkg("haveged", "1.9-1", A, "photon")));
    assertTrue(ResolutionCheck.mismatch(dnf, resolved, lock).orElseThrow().contains("photon sha512 aaaaaaaaaaaa…"));
  }

  @Test
  void noLockNeverMatchesAndManyDifferencesAreCounted() {
    assertTrue(ResolutionCheck.mismatch(dnf, List.of(), null).orElseThrow().contains("no lock"));
    List<String> resolved = new ArrayList<>(List.of("transaction 0"));
    List<LockedPackage> older = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      resolved.add("p" + i + " 2-1 x86_64 photon sha256 " + A);
      older.add(pkg("p" + i, "1-1", B, "photon"));
    }
    String reason = ResolutionCheck.mismatch(dnf, resolved, new Lock("dnf", older)).orElseThrow();
    assertTrue(reason.contains("resolved but not installed: p0 2-1 x86_64 photon sha256 aaaaaaaaaaaa…, p1 2-1"), reason);
    assertTrue(reason.contains("p2 2-1 x86_64 photon sha256 aaaaaaaaaaaa… (and 2 more); installed but not"), reason);
  }
}
