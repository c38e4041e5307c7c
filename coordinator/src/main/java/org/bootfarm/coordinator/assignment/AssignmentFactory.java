package org.bootfarm.coordinator.assignment;

import java.io.IOException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * Builds the {@link Assignment} message a worker gets for a build placed on it: the build, its
 * definition's files and digest, where to fetch artifacts from, the run's attempt number, whether the
 * operator allowed the repo unsigned, and for a reproducibility pair how its side is built.
 */
public final class AssignmentFactory {
  private final RepoCatalog catalog;
  private final String artifactsUrl;
  private final RecordedBuildInfos buildInfos;

  /**
   * @param artifactsUrl the coordinator's HTTP base URL, where the worker fetches components and uploads artifacts
   * @param buildInfos where a rebuild's pinned buildinfo is read from
   */
  public AssignmentFactory(RepoCatalog catalog, String artifactsUrl, RecordedBuildInfos buildInfos) {
    this.catalog = catalog;
    this.artifactsUrl = artifactsUrl;
    this.buildInfos = buildInfos;
  }

  /** The message for {@code placed}; reads the definition's files from the repos dir (which may fail). */
  public Assignment assignmentFor(BuildCoordinator.Assignment placed) throws IOException {
    RepoDefinition definition = catalog.find(placed.build().repo()).flatMap(RepoCatalog.Entry::definition)
        .orElseThrow();
    Assignment assignment = new Assignment(placed.build().id(), placed.build().repo(), placed.build().target(),
        placed.build().components(), DefinitionFiles.read(definition.directory()),
        RepoDefinitionLoader.digest(definition.directory()), artifactsUrl, placed.build().attempts(), null, null,
        definition.unsignedAllowed() ? Boolean.TRUE : null);
    return pinned(placed, forPairSide(placed, assignment));
  }

  /**
   * A rebuild ({@code pinnedBuildinfo} on its record) installs exactly the lock of the buildinfo it pins, at that
   * buildinfo's SOURCE_DATE_EPOCH; every other build goes as it is.
   *
   * @throws IOException when the pinned buildinfo can no longer be read (the build then cannot run anywhere)
   */
  private Assignment pinned(BuildCoordinator.Assignment placed, Assignment assignment) throws IOException {
    String pinnedBuildinfo = placed.pinnedBuildinfo();
    if (pinnedBuildinfo == null) {
      return assignment;
    }
    BuildInfo info = buildInfos.read(pinnedBuildinfo);
    return assignment.pinnedTo(info.lock().packages(), info.sourceDateEpoch(), placed.build().rebuildOf());
  }

  /**
   * The assignment as the pair side of {@code placed} wants it: side B of a reproducibility pair
   * ({@code placed.pairSide().isSideB()}: a nightly pair's second build, or a {@code verify} rebuild) is
   * built under a varied environment, which the protocol's {@code Assignment} carries as its
   * {@code variation}; both sides are built from scratch ({@code fromScratch}: no stage of a worker's
   * stage cache is used or filled, ADRs 0021 and 0025); every other build goes as it is.
   */
  static Assignment forPairSide(BuildCoordinator.Assignment placed, Assignment assignment) {
    if (placed.pairSide() == null) {
      return assignment;
    }
    return new Assignment(assignment.buildId(), assignment.repo(), assignment.target(), assignment.components(),
        assignment.definitionFiles(), assignment.definitionDigest(), assignment.artifactsUrl(), assignment.attempt(),
        placed.pairSide().isSideB() ? BuildVariation.varied() : null, Boolean.TRUE, assignment.allowUnsigned(),
        assignment.inputs(), assignment.sourceDateEpoch(), assignment.rebuildOf());
  }
}
