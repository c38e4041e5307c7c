package org.bootfarm.worker.pkg;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.bootfarm.protocol.build.Lock;

/**
 * Whether a build installed the package files its action-cache key names (docs/adr/0054): its lock, in the line
 * form of its driver's resolution ({@link PackageManagerDriver#asResolvedLines}), must be the resolution's last
 * transaction line for line. Anything else, a driver that cannot state its lock that way included, keeps the
 * build's outputs out of the cache: a stored entry is served to every later build with that key.
 */
public final class ResolutionCheck {
  /** How many differing package files a reason names on each side. */
  static final int NAMED = 3;

  private ResolutionCheck() {}

  /**
   * Empty when {@code lock} is, file for file, the last transaction of {@code resolved} ({@code driver}'s
   * {@link PackageManagerDriver#resolve} of the same build); otherwise why not, naming the first differing files.
   */
  public static Optional<String> mismatch(PackageManagerDriver driver, List<String> resolved, Lock lock) {
    if (lock == null) {
      return Optional.of("the build recorded no lock, so what it installed is unknown");
    }
    Optional<List<String>> installed = driver.asResolvedLines(lock);
    if (installed.isEmpty()) {
      return Optional.of(driver.engine() + " cannot state its lock in the form of its resolution, so it is unknown"
          + " whether the build installed what the key names");
    }
    List<String> last = lastTransaction(resolved);
    if (last.equals(installed.get().stream().sorted().toList())) {
      return Optional.empty();
    }
    TreeSet<String> expected = new TreeSet<>(last);
    TreeSet<String> actual = new TreeSet<>(installed.get());
    TreeSet<String> onlyResolved = new TreeSet<>(expected);
    onlyResolved.removeAll(actual);
    TreeSet<String> onlyInstalled = new TreeSet<>(actual);
    onlyInstalled.removeAll(expected);
    List<String> parts = new ArrayList<>();
    if (!onlyResolved.isEmpty()) {
      parts.add("resolved but not installed: " + named(onlyResolved));
    }
    if (!onlyInstalled.isEmpty()) {
      parts.add("installed but not resolved: " + named(onlyInstalled));
    }
    return Optional.of("the build installed other package files than its key names (a base stage from the stage"
        + " cache, or a repository that moved meanwhile); " + String.join("; ", parts));
  }

  /** The package lines of a resolution's last transaction (after its last {@code transaction N} line), sorted. */
  static List<String> lastTransaction(List<String> resolved) {
    int last = -1;
    for (int i = 0; i < resolved.size(); i++) {
      if (resolved.get(i).startsWith("transaction ")) {
        last = i;
      }
    }
    return resolved.subList(last + 1, resolved.size()).stream().sorted().toList();
  }

  /** The first {@link #NAMED} lines, checksums shortened to 12 digits, and how many more there are. */
  private static String named(TreeSet<String> lines) {
    List<String> first = lines.stream().limit(NAMED)
        .map(l -> l.replaceAll("\\b([0-9a-f]{12})[0-9a-f]{20,}\\b", "$1…")).toList();
    return String.join(", ", first) + (lines.size() > NAMED ? " (and " + (lines.size() - NAMED) + " more)" : "");
  }
}
