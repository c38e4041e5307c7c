package org.bootfarm.coordinator.inputs;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * Decides whether a past build can be rebuilt from its record, and records the rebuild: the original must
 * have SUCCEEDED and published a buildinfo, and the farm's store must still hold everything that buildinfo
 * pins (every locked package, every component, the definition archive), so the rebuild never needs an
 * upstream repository. A refusal names what is missing and how to keep it next time; nothing is recorded.
 */
public final class RebuildCheck {
  /** How many missing packages a refusal names before it only counts the rest. */
  static final int NAMED = 10;
  private static final String HOW_TO_KEEP = "to keep a build's inputs for rebuilds, pin it (bootfarm pin ID)"
      + " or keep more builds per repo and target (the coordinator's --keep-builds)";

  private final ArtifactStore artifacts;
  private final RecordedBuildInfos buildInfos;
  private final RepoCatalog repos;

  public RebuildCheck(ArtifactStore artifacts, RecordedBuildInfos buildInfos, RepoCatalog repos) {
    this.artifacts = artifacts;
    this.buildInfos = buildInfos;
    this.repos = repos;
  }

  /**
   * The QUEUED record, numbered {@code id}, that rebuilds {@code original} for {@code submittedBy}: the same
   * repo, target, components, options and pinned definition, and the original's buildinfo as what it installs.
   *
   * @throws ApiException CONFLICT when the original cannot be rebuilt (not SUCCEEDED, no buildinfo, an input
   *     no longer in the store), naming what is missing
   */
  public BuildRecord rebuildOf(BuildRecord original, String id, Instant now, String submittedBy) throws ApiException {
    String what = "build " + original.id() + " cannot be rebuilt from its record";
    if (original.state() != BuildState.SUCCEEDED) {
      throw new ApiException(ApiError.Code.CONFLICT, what + ": it is " + original.state()
          + "; only a SUCCEEDED build has a record to rebuild from (submit it again instead)");
    }
    Optional<String> buildinfo = RecordedBuildInfos.buildinfoOf(original);
    if (buildinfo.isEmpty()) {
      throw new ApiException(ApiError.Code.CONFLICT, what + ": it published no " + BuildInfo.FILE_NAME
          + " (built before the farm recorded buildinfos); submit it again instead");
    }
    BuildInfo info;
    try {
      info = buildInfos.read(buildinfo.get());
    } catch (IOException e) {
      throw new ApiException(ApiError.Code.CONFLICT, what + ": its " + BuildInfo.FILE_NAME + " cannot be read: "
          + e.getMessage() + "; " + HOW_TO_KEEP);
    }
    List<String> problems = new ArrayList<>();
    problems.addAll(missingPackages(info));
    for (Map.Entry<String, String> component : original.components().entrySet()) {
      if (!artifacts.exists(component.getValue())) {
        problems.add("component " + component.getKey() + " (sha256 " + component.getValue()
            + ") is no longer in the artifact store");
      }
    }
    definitionProblem(original, info).ifPresent(problems::add);
    if (!problems.isEmpty()) {
      throw new ApiException(ApiError.Code.CONFLICT, what + " (" + HOW_TO_KEEP + ")", problems);
    }
    return BuildRecord.queued(id, original.repo(), original.target(), original.components(),
        BuildPriority.INTERACTIVE, withoutPairSide(original.options()), now, original.unsigned(), submittedBy)
        .withDefinition(original.definitionDigest()).asRebuildOf(original.id(), buildinfo.get());
  }

  /**
   * The original's options without its side of a reproducibility pair: a rebuild is a build of its own, not that
   * side again (which placement would fail as a rebuild of something else, ADR 0040).
   */
  private static String withoutPairSide(String options) {
    if (PairSide.of(options).isEmpty()) {
      return options;
    }
    try {
      com.fasterxml.jackson.databind.node.ObjectNode node = (com.fasterxml.jackson.databind.node.ObjectNode)
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(options);
      node.remove(PairSide.OPTION);
      return node.toString();
    } catch (IOException | ClassCastException e) {
      return "{}";
    }
  }

  /** The one problem naming the locked packages the store lacks (the first {@link #NAMED} and a count); none. */
  private List<String> missingPackages(BuildInfo info) {
    List<LockedPackage> missing = info.lock().inputs().stream().filter(p -> !artifacts.exists(p.sha256())).toList();
    if (missing.isEmpty()) {
      return List.of();
    }
    List<String> named = missing.stream().limit(NAMED).map(p -> p.describe() + " (sha256 " + p.sha256() + ")")
        .toList();
    return List.of(missing.size() + " of its " + info.lock().inputs().size() + " archived package(s) are no longer"
        + " in the artifact store: " + String.join(", ", named)
        + (missing.size() > NAMED ? " and " + (missing.size() - NAMED) + " more" : ""));
  }

  /**
   * What is wrong with the definition the rebuild would build: a pinned one must be in the store under its digest;
   * a build recorded before definitions were pinned can only be rebuilt while the catalogue's definition still
   * has the digest its buildinfo names.
   */
  private Optional<String> definitionProblem(BuildRecord original, BuildInfo info) {
    String digest = original.definitionDigest();
    if (digest != null) {
      return artifacts.exists(digest) ? Optional.empty() : Optional.of("the definition archive of " + original.repo()
          + " (digest " + digest + ") is no longer in the artifact store");
    }
    Optional<RepoDefinition> now = repos.find(original.repo()).flatMap(RepoCatalog.Entry::definition);
    if (now.isEmpty()) {
      return Optional.of("its definition was not pinned when it was submitted and repo " + original.repo()
          + " is no longer in the catalogue");
    }
    String current = RepoDefinitionLoader.digest(now.get().directory());
    return current.equals(info.definitionDigest()) ? Optional.empty() : Optional.of("its definition was not pinned"
        + " when it was submitted, and repos/" + original.repo() + " changed since (digest " + current + ", the build"
        + " had " + info.definitionDigest() + ")");
  }
}
