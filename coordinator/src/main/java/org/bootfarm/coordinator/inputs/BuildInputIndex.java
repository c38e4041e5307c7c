package org.bootfarm.coordinator.inputs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;

/**
 * Records which package files each SUCCEEDED build installed ({@link BuildStore#recordInputs}), read from the
 * lock of its buildinfo artifact, so that retention keeps the inputs of the builds it keeps. Every coordinator
 * indexes on its own, before each collection, from the buildinfo artifacts it holds: a standby derives the
 * same list from the replicated record and artifact, so nothing more needs replicating (ADR 0037).
 */
public final class BuildInputIndex {
  private final BuildStore builds;
  private final RecordedBuildInfos buildInfos;

  public BuildInputIndex(BuildStore builds, RecordedBuildInfos buildInfos) {
    this.builds = builds;
    this.buildInfos = buildInfos;
  }

  /** Indexes {@code build} if it SUCCEEDED and published a buildinfo; returns how many inputs it recorded. */
  public int index(BuildRecord build) throws IOException {
    Optional<String> buildinfo = RecordedBuildInfos.buildinfoOf(build);
    if (build.state() != BuildState.SUCCEEDED || buildinfo.isEmpty()) {
      return 0;
    }
    BuildInfo info = buildInfos.read(buildinfo.get());
    List<String> inputs = info.lock().packages().stream().map(LockedPackage::sha256).distinct().toList();
    builds.recordInputs(build.id(), inputs);
    return inputs.size();
  }

  /**
   * Indexes every build retention keeps whose inputs are not recorded yet; returns the problems of those whose
   * buildinfo could not be read (a standby that has not copied it yet reads it at its next collection).
   */
  public List<String> catchUp(int keepNewest) {
    List<String> problems = new ArrayList<>();
    for (BuildRecord build : builds.keptWithoutInputs(keepNewest)) {
      try {
        index(build);
      } catch (IOException | RuntimeException e) {
        problems.add("build " + build.id() + ": " + e.getMessage());
      }
    }
    return problems;
  }
}
