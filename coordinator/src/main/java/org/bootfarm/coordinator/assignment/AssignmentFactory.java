package org.bootfarm.coordinator.assignment;

import java.io.IOException;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildVariation;
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

  /** @param artifactsUrl the coordinator's HTTP base URL, where the worker fetches components and uploads artifacts */
  public AssignmentFactory(RepoCatalog catalog, String artifactsUrl) {
    this.catalog = catalog;
    this.artifactsUrl = artifactsUrl;
  }

  /** The message for {@code placed}; reads the definition's files from the repos dir (which may fail). */
  public Assignment assignmentFor(BuildCoordinator.Assignment placed) throws IOException {
    RepoDefinition definition = catalog.find(placed.build().repo()).flatMap(RepoCatalog.Entry::definition)
        .orElseThrow();
    Assignment assignment = new Assignment(placed.build().id(), placed.build().repo(), placed.build().target(),
        placed.build().components(), DefinitionFiles.read(definition.directory()),
        RepoDefinitionLoader.digest(definition.directory()), artifactsUrl, placed.build().attempts(), null, null,
        definition.unsignedAllowed() ? Boolean.TRUE : null);
    return forPairSide(placed, assignment);
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
        placed.pairSide().isSideB() ? BuildVariation.varied() : null, Boolean.TRUE, assignment.allowUnsigned());
  }
}
