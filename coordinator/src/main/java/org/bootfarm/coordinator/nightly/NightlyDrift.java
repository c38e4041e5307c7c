package org.bootfarm.coordinator.nightly;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.InputDrift;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;

/**
 * What changed in a repo and target's resolved inputs since the previous nightly run built it: the lock of side
 * A's buildinfo against the lock of the latest earlier nightly pair of the same repo and target whose side A
 * succeeded, both read from the artifact store ({@link RecordedBuildInfos}). Drift is shown beside the verdict,
 * never folded into it: side B rebuilds side A's lock, so a mirror update does not make a pair unreproducible.
 */
final class NightlyDrift {
  /** How many earlier pairs of a repo and target are looked at for one whose side A succeeded. */
  private static final int LOOK_BACK = 30;

  private final NightlyStore pairs;
  private final BuildStore builds;
  private final RecordedBuildInfos buildInfos;

  NightlyDrift(NightlyStore pairs, BuildStore builds, RecordedBuildInfos buildInfos) {
    this.pairs = pairs;
    this.builds = builds;
    this.buildInfos = buildInfos;
  }

  /** The drift of {@code pair}, whose side A ({@code sideA}) succeeded, since the previous night's run. */
  InputDrift of(ReproducibilityPair pair, BuildRecord sideA) {
    Lock tonight;
    try {
      tonight = lockOf(sideA);
    } catch (IOException e) {
      return InputDrift.notCompared("tonight's side A (build " + sideA.id() + "): " + e.getMessage());
    }
    for (ReproducibilityPair earlier : pairs.earlierNightlyPairs(pair, LOOK_BACK)) {
      if (earlier.left() == null) {
        continue;
      }
      Optional<BuildRecord> before = builds.get(earlier.left());
      if (before.isEmpty()) {
        return InputDrift.notCompared("build " + earlier.left() + " of the previous run's pair " + earlier.id()
            + " is no longer recorded");
      }
      if (before.get().state() != BuildState.SUCCEEDED) {
        continue;
      }
      try {
        return compare(earlier.id(), earlier.left(), lockOf(before.get()), tonight);
      } catch (IOException e) {
        return InputDrift.notCompared("the previous run's side A (build " + earlier.left() + ", pair "
            + earlier.id() + "): " + e.getMessage());
      }
    }
    return InputDrift.notCompared("no earlier nightly run built " + pair.repo() + " " + pair.target()
        + " successfully");
  }

  private Lock lockOf(BuildRecord build) throws IOException {
    String sha256 = RecordedBuildInfos.buildinfoOf(build).orElseThrow(() -> new IOException("it published no "
        + BuildInfo.FILE_NAME));
    return buildInfos.read(sha256).lock();
  }

  /**
   * The packages {@code after} adds to, removes from and changes the version of against {@code before}, packages
   * keyed by name and arch (a name installed in several versions at once compares as added and removed versions).
   */
  static InputDrift compare(String previousPair, String previousBuild, Lock before, Lock after) {
    Map<String, SortedSet<String>> was = versions(before);
    Map<String, SortedSet<String>> is = versions(after);
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    List<InputDrift.VersionChange> upgraded = new ArrayList<>();
    TreeSet<String> keys = new TreeSet<>(was.keySet());
    keys.addAll(is.keySet());
    for (String key : keys) {
      SortedSet<String> old = was.getOrDefault(key, new TreeSet<>());
      SortedSet<String> now = is.getOrDefault(key, new TreeSet<>());
      if (old.equals(now)) {
        continue;
      }
      int dot = key.lastIndexOf('.');
      String name = key.substring(0, dot);
      String arch = key.substring(dot + 1);
      if (old.size() == 1 && now.size() == 1) {
        upgraded.add(new InputDrift.VersionChange(name, arch, old.first(), now.first()));
        continue;
      }
      old.stream().filter(v -> !now.contains(v)).forEach(v -> removed.add(name + "-" + v + "." + arch));
      now.stream().filter(v -> !old.contains(v)).forEach(v -> added.add(name + "-" + v + "." + arch));
    }
    return new InputDrift(previousPair, previousBuild, added, removed, upgraded, null);
  }

  private static Map<String, SortedSet<String>> versions(Lock lock) {
    Map<String, SortedSet<String>> versions = new TreeMap<>();
    for (LockedPackage p : lock.packages()) {
      versions.computeIfAbsent(p.name() + "." + p.arch(), k -> new TreeSet<>()).add(p.version());
    }
    return versions;
  }
}
