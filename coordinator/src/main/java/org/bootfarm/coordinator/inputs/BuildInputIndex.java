package org.bootfarm.coordinator.inputs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.FencedWriteException;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;

/**
 * Records which package files each SUCCEEDED build installed ({@link BuildStore#recordInputs}), those its staging
 * removed again included ({@code Lock.inputs()}), and the trusted keys it read ({@code BuildInfo.gpgKeys}), from its
 * buildinfo artifact, so that
 * retention keeps the inputs of the builds it keeps. Every coordinator indexes on its own, before each
 * collection, from the buildinfo artifacts it holds: a standby derives the same list from the replicated record
 * and artifact, so nothing more needs replicating (ADR 0037).
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
    // the trusted keys it checked signatures with are inputs too: fetch --inputs hands them to a rebuild (ADR 0067)
    List<String> inputs = java.util.stream.Stream.concat(info.lock().inputs().stream().map(LockedPackage::sha256),
        info.gpgKeys().values().stream()).distinct().toList();
    builds.recordInputs(build.id(), inputs);
    return inputs.size();
  }

  /**
   * Indexes build {@code id}, which was just reported SUCCEEDED; a buildinfo that cannot be read now is indexed
   * before the next collection ({@link #catchUp}), so a failure here is only logged.
   */
  public void succeeded(String id) {
    try {
      Optional<BuildRecord> build = builds.get(id);
      if (build.isPresent()) {
        index(build.get());
      }
    } catch (IOException | RuntimeException e) {
      System.getLogger(BuildInputIndex.class.getName()).log(System.Logger.Level.WARNING, "the inputs of build "
          + id + " are indexed at the next collection: " + e.getMessage());
    }
  }

  /**
   * Indexes every SUCCEEDED build whose inputs are not recorded yet and whose buildinfo this coordinator holds (a
   * standby that has not copied it yet indexes it at a later collection; a build whose buildinfo was collected
   * has no inputs left to keep); returns the problems of the buildinfos that could not be read. A standby on the
   * shared store, whose writes are fenced, stops at its first write: indexing is the active coordinator's.
   */
  public List<String> catchUp() {
    List<String> problems = new ArrayList<>();
    for (BuildRecord build : builds.withoutInputs()) {
      try { // one build naming a malformed or missing buildinfo is a problem of its own; the others go on
        if (RecordedBuildInfos.buildinfoOf(build).filter(buildInfos::holds).isEmpty()) {
          continue;
        }
        index(build);
      } catch (FencedWriteException e) {
        return problems; // a standby on the shared store: the active coordinator indexes, nothing is wrong
      } catch (IOException | RuntimeException e) {
        problems.add("build " + build.id() + ": " + e.getMessage());
      }
    }
    return problems;
  }
}
