package org.bootfarm.coordinator.assignment;

import java.io.IOException;
import java.util.Map;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.PinnedDefinitions;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.coordinator.inputs.RecordedBuildInfos;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * Builds the {@link Assignment} message a worker gets for a build placed on it: the build, the files and
 * digest of the definition it was pinned to at submission (ADR 0034), where to fetch artifacts from, the run's attempt number, whether the
 * operator allowed the repo unsigned, and for a reproducibility pair how its side is built.
 */
public final class AssignmentFactory {
  private final RepoCatalog catalog;
  private final String artifactsUrl;
  private final RecordedBuildInfos buildInfos;
  private final PinnedDefinitions definitions;

  /**
   * @param artifactsUrl the coordinator's HTTP base URL, where the worker fetches components and uploads artifacts
   * @param buildInfos where a rebuild's pinned buildinfo is read from
   * @param definitions where a build's pinned definition is read from
   */
  public AssignmentFactory(RepoCatalog catalog, String artifactsUrl, RecordedBuildInfos buildInfos,
      PinnedDefinitions definitions) {
    this.catalog = catalog;
    this.artifactsUrl = artifactsUrl;
    this.buildInfos = buildInfos;
    this.definitions = definitions;
  }

  /**
   * The message for {@code placed}: with the definition pinned at its submission, read from the artifact store
   * under {@link BuildView#definitionDigest} and checked against it, never from the repos directory (which may
   * have changed since); a build recorded before definitions were pinned gets the catalogue's definition.
   *
   * @throws PinnedDefinitions.MissingDefinitionException when the pinned definition is no longer stored intact
   *     (the build then cannot run anywhere)
   */
  public Assignment assignmentFor(BuildCoordinator.Assignment placed) throws IOException {
    BuildView build = placed.build();
    Map<String, String> files;
    String digest = build.definitionDigest();
    Boolean allowUnsigned;
    if (digest != null) {
      files = definitions.files(build.id(), build.repo(), digest);
      // what the operator allowed unsigned was decided at submission and recorded with the build
      allowUnsigned = build.unsigned().isEmpty() ? null : Boolean.TRUE;
    } else {
      RepoDefinition definition = catalog.find(build.repo()).flatMap(RepoCatalog.Entry::definition)
          .orElseThrow(() -> new IOException("build " + build.id() + " pins no definition and repo " + build.repo()
              + " is no longer a valid definition here"));
      files = DefinitionFiles.read(definition.directory());
      digest = RepoDefinitionLoader.digest(definition.directory());
      allowUnsigned = definition.unsignedAllowed() ? Boolean.TRUE : null;
    }
    // a build submitted with --no-cache runs every stage, as a pair side does: no stage nor action cache (ADR 0048)
    Assignment assignment = new Assignment(build.id(), build.repo(), build.target(), build.components(), files,
        digest, artifactsUrl, build.attempts(), null, placed.noCache() ? Boolean.TRUE : null, allowUnsigned);
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
    return assignment.pinnedTo(info.lock().inputs(), info.sourceDateEpoch(), placed.build().rebuildOf());
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
