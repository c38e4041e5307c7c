package org.bootfarm.worker.pkg;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;

/**
 * Whether a rebuild from a record got exactly the recorded set: the final lock and what the staging removed
 * ({@code packages ∪ removed}) must be the pinned packages, by name, arch and sha256. The drivers check
 * each lock they read only for packages that are not pinned ({@link #installedAreAllPinned}): a lock read
 * before the staging's removals, or after them, is a part of the pinned set, never all of it.
 */
public final class PinnedSet {
  private PinnedSet() {}

  /**
   * The rebuild's lock checked against the pinned set, every package (installed and removed) given the origin the
   * record names, so the rebuild's buildinfo equals the original's.
   *
   * @throws BuildFailure INTEGRITY naming each package that differs and what to do
   */
  public static Lock exactly(Lock lock, PinnedInputs pinned) throws BuildFailure {
    List<String> differences = new ArrayList<>();
    Map<String, LockedPackage> expected = bySha256(pinned.packages());
    Map<String, LockedPackage> actual = bySha256(lock.inputs());
    for (LockedPackage p : expected.values()) {
      if (!actual.containsKey(p.sha256())) {
        LockedPackage other = sameName(lock.inputs(), p);
        differences.add(other == null ? p.describe() + " (sha256 " + p.sha256() + ") is pinned but was never installed"
            : p.name() + "." + p.arch() + " was installed from sha256 " + other.sha256() + " (" + other.describe()
                + "), pinned " + p.sha256() + " (" + p.describe() + ")");
      }
    }
    for (LockedPackage p : actual.values()) {
      LockedPackage pinnedName = sameName(pinned.packages(), p);
      if (!expected.containsKey(p.sha256()) && (pinnedName == null || actual.containsKey(pinnedName.sha256()))) {
        differences.add(p.describe() + " (sha256 " + p.sha256() + ") was "
            + (lock.removed().contains(p) ? "installed (then removed)" : "installed") + " but is not pinned");
      }
    }
    if (!differences.isEmpty()) {
      throw new BuildFailure(Kind.INTEGRITY, "the rebuild did not install exactly the recorded packages (installed"
          + " and removed): " + String.join("; ", differences) + ". The definition's package lists or scripts no"
          + " longer give the recorded set from these inputs; rebuild with the definition the buildinfo's"
          + " definitionDigest names");
    }
    return new Lock(lock.engine(), withOrigins(lock.packages(), expected), withOrigins(lock.removed(), expected));
  }

  /**
   * A driver's check of one lock it read in a pinned session: every installed package is pinned, with the pinned
   * sha256; a pinned package not installed is no error here ({@link #exactly} judges the whole set).
   *
   * @return the lock, each package given the origin the record names
   * @throws BuildFailure INTEGRITY naming each package that is not pinned
   */
  public static Lock installedAreAllPinned(Lock read, PinnedInputs pinned) throws BuildFailure {
    Map<String, LockedPackage> expected = bySha256(pinned.packages());
    List<String> differences = new ArrayList<>();
    for (LockedPackage p : read.packages()) {
      if (expected.containsKey(p.sha256())) {
        continue;
      }
      LockedPackage other = sameName(pinned.packages(), p);
      differences.add(other == null ? p.describe() + " is installed but not pinned"
          : p.name() + "." + p.arch() + " is installed from sha256 " + p.sha256() + " (" + p.describe()
              + "), pinned " + other.sha256() + " (" + other.describe() + ")");
    }
    if (!differences.isEmpty()) {
      throw new BuildFailure(Kind.INTEGRITY, "the rebuild installed packages the record does not pin: "
          + String.join("; ", differences) + ". The definition's package lists or scripts no longer give the"
          + " recorded set from these inputs; rebuild with the definition the buildinfo's definitionDigest names");
    }
    return new Lock(read.engine(), withOrigins(read.packages(), expected), withOrigins(read.removed(), expected));
  }

  /**
   * What the staging removed: each package of the locks read before its script, installs or hook whose sha256 is
   * not in the final lock, each once.
   */
  public static List<LockedPackage> removed(List<Lock> earlier, Lock last) {
    Set<String> installed = last.packages().stream().map(LockedPackage::sha256).collect(Collectors.toSet());
    Map<String, LockedPackage> removed = new TreeMap<>();
    for (Lock lock : earlier) {
      lock.packages().stream().filter(p -> !installed.contains(p.sha256())).forEach(p -> removed.putIfAbsent(p.sha256(), p));
    }
    return List.copyOf(removed.values());
  }

  private static Map<String, LockedPackage> bySha256(List<LockedPackage> packages) {
    Map<String, LockedPackage> map = new HashMap<>();
    packages.forEach(p -> map.putIfAbsent(p.sha256(), p));
    return map;
  }

  private static LockedPackage sameName(List<LockedPackage> packages, LockedPackage p) {
    return packages.stream().filter(o -> o.name().equals(p.name()) && o.arch().equals(p.arch())).findFirst().orElse(null);
  }

  private static List<LockedPackage> withOrigins(List<LockedPackage> packages, Map<String, LockedPackage> pinned) {
    return packages.stream().map(p -> pinned.containsKey(p.sha256()) ? p.withOrigin(pinned.get(p.sha256()).origin()) : p)
        .toList();
  }
}
