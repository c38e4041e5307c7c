package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.worker.BuildFailure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The rebuild's set check: final lock and removed must be the pinned set; a driver's lock needs only be part of it. */
@Tag("unit")
class PinnedSetTest {
  private static final PackageOrigin BASE = new PackageOrigin("base", "https://repo/");
  private static final LockedPackage BASH = new LockedPackage("bash", "5-1", "x86_64", "b1", 1, BASE);
  private static final LockedPackage TOYBOX = new LockedPackage("toybox", "0.7-1", "x86_64", "t1", 2, BASE);
  private static final LockedPackage KMOD = new LockedPackage("kmod", "2-1", "x86_64", "k1", 3, BASE);
  private static final PinnedInputs PINNED = new PinnedInputs(Path.of("/pinned"), List.of(BASH, TOYBOX, KMOD));

  private static LockedPackage read(LockedPackage p) {
    return p.withOrigin(null); // a driver's lock of a pinned session reads no upstream origin
  }

  @Test
  void removedIsWhatAnEarlierLockHadAndTheLastHasNot() {
    Lock before = new Lock("dnf", List.of(BASH, TOYBOX, KMOD));
    Lock afterInstalls = new Lock("dnf", List.of(BASH, TOYBOX, KMOD));
    Lock last = new Lock("dnf", List.of(BASH, KMOD));
    assertEquals(List.of(TOYBOX), PinnedSet.removed(List.of(before, afterInstalls), last));
    assertEquals(List.of(), PinnedSet.removed(List.of(), last));
    LockedPackage newerToybox = new LockedPackage("toybox", "0.8-1", "x86_64", "t2", 4);
    assertEquals(List.of(TOYBOX), PinnedSet.removed(List.of(before), new Lock("dnf", List.of(BASH, KMOD, newerToybox))),
        "an upgrade removes the old file: a rebuild needs it to install then upgrade");
  }

  @Test
  void finalLockAndRemovedThatAreThePinnedSetPassWithTheRecordedOrigins() throws Exception {
    Lock lock = new Lock("dnf", List.of(read(BASH), read(KMOD)), List.of(read(TOYBOX)));
    Lock checked = PinnedSet.exactly(lock, PINNED);
    assertEquals(new Lock("dnf", List.of(BASH, KMOD), List.of(TOYBOX)), checked);
  }

  @Test
  void aMissingRemovalOrAnExtraPackageIsAnIntegrityFailureNamingEach() {
    Lock nothingRemoved = new Lock("dnf", List.of(read(BASH), read(KMOD)));
    BuildFailure missing = assertThrows(BuildFailure.class, () -> PinnedSet.exactly(nothingRemoved, PINNED));
    assertEquals(BuildFailure.Kind.INTEGRITY, missing.kind());
    assertTrue(missing.getMessage().contains("toybox-0.7-1.x86_64 (sha256 t1) is pinned but was never installed"),
        missing::getMessage);
    assertTrue(missing.getMessage().contains("definitionDigest"), "says what to do: " + missing.getMessage());

    LockedPackage extra = new LockedPackage("vim", "9-1", "x86_64", "v1", 5);
    LockedPackage otherKmod = new LockedPackage("kmod", "3-1", "x86_64", "k2", 5);
    Lock wrong = new Lock("dnf", List.of(read(BASH), otherKmod), List.of(read(TOYBOX), extra));
    BuildFailure failure = assertThrows(BuildFailure.class, () -> PinnedSet.exactly(wrong, PINNED));
    assertTrue(failure.getMessage().contains("vim-9-1.x86_64 (sha256 v1) was installed (then removed) but is not pinned"),
        failure::getMessage);
    assertTrue(failure.getMessage().contains("kmod.x86_64 was installed from sha256 k2 (kmod-3-1.x86_64), pinned k1"),
        failure::getMessage);
  }

  @Test
  void aDriverLockThatIsPartOfThePinnedSetPassesAndAnUnpinnedPackageIsRefused() throws Exception {
    assertEquals(new Lock("dnf", List.of(BASH)), PinnedSet.installedAreAllPinned(new Lock("dnf", List.of(read(BASH))), PINNED));
    LockedPackage otherBash = new LockedPackage("bash", "5-2", "x86_64", "b2", 1);
    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> PinnedSet.installedAreAllPinned(new Lock("dnf", List.of(otherBash)), PINNED));
    assertEquals(BuildFailure.Kind.INTEGRITY, failure.kind());
    assertTrue(failure.getMessage().contains("bash.x86_64 is installed from sha256 b2 (bash-5-2.x86_64), pinned b1"),
        failure::getMessage);
  }
}
