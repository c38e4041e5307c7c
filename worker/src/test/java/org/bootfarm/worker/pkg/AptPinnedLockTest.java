package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock of a rebuild, read with the real dpkg-query from a root's dpkg status: exactly the pinned set, each
 * package as the record locked it, or a failure naming what differs; and its files are the pinned ones.
 */
@Tag("tool")
class AptPinnedLockTest {
  private static final PackageOrigin ORIGIN = new PackageOrigin("bookworm/main", "http://127.0.0.1:1/pool/a.deb");
  private static final LockedPackage A = new LockedPackage("bootfarm-a", "1:1.0-1", "amd64", "a".repeat(64), 1L, ORIGIN);
  private static final LockedPackage B = new LockedPackage("bootfarm-b", "2.0", "all", "b".repeat(64), 2L, ORIGIN);
  private static final LockedPackage C = new LockedPackage("bootfarm-c", "3.0", "all", "c".repeat(64), 3L, null);

  private final AptDriver driver = new AptDriver();

  @TempDir Path tmp;

  @Test
  void lockOfARebuildIsThePinnedSetWithItsOrigins() throws Exception {
    PackageSession session = session(List.of(A, B), List.of(B, A));

    Lock lock = driver.lock(session);

    assertEquals(new Lock("mmdebstrap", List.of(A, B)), lock);
    assertEquals(Map.of(A.sha256(), tmp.resolve("inputs/" + A.sha256() + ".deb"), B.sha256(),
        tmp.resolve("inputs/" + B.sha256() + ".deb")), driver.packageFiles(session, lock));
  }

  @Test
  void rebuildThatInstalledOtherPackagesFailsNamingThem() throws Exception {
    PackageSession session = session(List.of(A, B), List.of(A, C));

    BuildFailure failure = assertThrows(BuildFailure.class, () -> driver.lock(session));

    assertEquals(BuildFailure.Kind.INPUT, failure.kind());
    assertTrue(failure.getMessage().contains("installed but not pinned: bootfarm-b-2.0.all")
        && failure.getMessage().contains("pinned but not installed: bootfarm-c-3.0.all"), failure.getMessage());
  }

  /** A root whose dpkg status holds {@code installed}, in a session pinned to {@code pinned}. */
  private PackageSession session(List<LockedPackage> installed, List<LockedPackage> pinned) throws Exception {
    assumeTrue(driver.unavailableReason().isEmpty(), () -> "apt driver unavailable: " + driver.unavailableReason());
    Path root = tmp.resolve("root");
    Files.createDirectories(root.resolve("var/lib/dpkg/info"));
    StringBuilder status = new StringBuilder();
    for (LockedPackage p : installed) {
      status.append("Package: ").append(p.name()).append("\nStatus: install ok installed\nPriority: optional\n")
          .append("Maintainer: bootfarm\nArchitecture: ").append(p.arch()).append("\nVersion: ").append(p.version())
          .append("\nDescription: test\n\n");
    }
    Files.writeString(root.resolve("var/lib/dpkg/status"), status);
    Path inputs = Files.createDirectories(tmp.resolve("inputs"));
    for (LockedPackage p : pinned) {
      Files.writeString(inputs.resolve(p.sha256() + ".deb"), "stand-in");
    }
    Path definitionDir = Files.createDirectories(tmp.resolve("def"));
    RepoSpec spec = new RepoSpec("debian-test", "apt", "/bin/init", "linux-image-cloud-amd64",
        Map.of("base", "bootfarm-a", "bootstrap", ""), Map.of());
    RepoDefinition definition = new RepoDefinition(definitionDir, spec, List.of(), List.of(), Optional.empty(),
        Files.writeString(definitionDir.resolve("init.sh"), "drivers=()\n"), Optional.empty(), Optional.empty());
    return new PackageSession(definition, root, tmp.resolve("cache"), tmp.resolve("work"), Optional.empty(),
        1_700_000_000L, "staging-bootstrap", (stage, line) -> {}, Optional.of(new PinnedInputs(inputs, pinned)));
  }
}
