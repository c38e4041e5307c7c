package org.bootfarm.worker.build;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.bootfarm.worker.pkg.PinnedInputs;

/**
 * One build as the engine takes it: a definition directory, a target, the component files, and
 * where this worker keeps its caches and writes the outputs.
 *
 * @param definitionDir   {@code repos/<name>}
 * @param target          {@code bootstrap} or {@code appliance} ({@link Target})
 * @param components      component name ({@code tether}, {@code unpack}, ...; see {@link Target}) to file
 * @param outDir          where the artifacts are published (only when the whole build succeeded)
 * @param cacheDir        the worker's cache root; each repo's warm package cache is a directory in it
 * @param keysDir         trusted GPG keys looked up for {@code gpgkey=file:} references
 * @param localRepos      use {@code <name>.repo.local} instead of the {@code .repo} files
 * @param aptSources      the apt sources to use for apt definitions without their own
 * @param sourceDateEpoch SOURCE_DATE_EPOCH; empty for the default (see {@link BuildEngine})
 * @param keepBuildDir    leave the build directory in place after the build (for debugging)
 * @param buildsDir       where the build directory is made; null for {@code <cacheDir>/builds} (a varied
 *                        build of a reproducibility pair puts it deeper, see {@code BuildVariation.pathPrefix})
 * @param reuseStages     whether the build may take its {@code base} stage from the worker's stage cache
 *                        under {@code <cacheDir>/stages}, and put the one it built there; false for both
 *                        sides of a reproducibility pair and for every varied build (they rebuild from scratch)
 * @param allowUnsigned   the definitions the operator allows to install packages without a signature check
 *                        ({@code --allow-unsigned NAME}; on a farm the coordinator decides and the assignment says)
 * @param pinned          for a rebuild from a record: the exact package files to install (no upstream is read);
 *                        empty for a build that resolves its packages from the definition's repositories
 * @param actionCache     whether an unchanged build may be served from the action cache under
 *                        {@code <cacheDir>/actions}, and a build that ran put there ({@link ActionCaching}); false
 *                        unless the caller asks ({@link #withActionCache}), and never for a pinned rebuild
 * @param buildId         the farm's id of this build, which the action cache records as the maker of the
 *                        outputs; null for a local build
 * @param stageArchives   whether each stage's tree is published as {@code stages/<stage>.tar.gz} beside the
 *                        outputs; without it a stage is hashed, not archived (docs/adr/0062)
 * @param recordCheck     for a rebuild from a record on one machine ({@code build --from-buildinfo}): the record whose
 *                        builder, tools and host files this machine must have ({@link RecordCheck}, ADR 0067); empty
 *                        for every other build
 */
public record BuildRequest(
    Path definitionDir,
    String target,
    Map<String, Path> components,
    Path outDir,
    Path cacheDir,
    Path keysDir,
    boolean localRepos,
    Optional<Path> aptSources,
    OptionalLong sourceDateEpoch,
    boolean keepBuildDir,
    Path buildsDir,
    boolean reuseStages,
    Set<String> allowUnsigned,
    Optional<PinnedInputs> pinned,
    boolean actionCache,
    String buildId,
    boolean stageArchives,
    Optional<RecordCheck> recordCheck) {

  public BuildRequest {
    components = Map.copyOf(components);
    allowUnsigned = allowUnsigned == null ? Set.of() : Set.copyOf(allowUnsigned);
    pinned = pinned == null ? Optional.empty() : pinned;
    actionCache = actionCache && pinned.isEmpty();
    recordCheck = recordCheck == null ? Optional.empty() : recordCheck;
  }

  /** A request without the action cache. */
  public BuildRequest(Path definitionDir, String target, Map<String, Path> components, Path outDir, Path cacheDir,
      Path keysDir, boolean localRepos, Optional<Path> aptSources, OptionalLong sourceDateEpoch, boolean keepBuildDir,
      Path buildsDir, boolean reuseStages, Set<String> allowUnsigned, Optional<PinnedInputs> pinned) {
    this(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources, sourceDateEpoch,
        keepBuildDir, buildsDir, reuseStages, allowUnsigned, pinned, false, null, false, Optional.empty());
  }

  /** A request that resolves its packages from the definition's repositories. */
  public BuildRequest(Path definitionDir, String target, Map<String, Path> components, Path outDir, Path cacheDir,
      Path keysDir, boolean localRepos, Optional<Path> aptSources, OptionalLong sourceDateEpoch, boolean keepBuildDir,
      Path buildsDir, boolean reuseStages, Set<String> allowUnsigned) {
    this(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources, sourceDateEpoch,
        keepBuildDir, buildsDir, reuseStages, allowUnsigned, Optional.empty());
  }

  /** A request that allows no definition unsigned. */
  public BuildRequest(Path definitionDir, String target, Map<String, Path> components, Path outDir, Path cacheDir,
      Path keysDir, boolean localRepos, Optional<Path> aptSources, OptionalLong sourceDateEpoch, boolean keepBuildDir,
      Path buildsDir, boolean reuseStages) {
    this(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources, sourceDateEpoch,
        keepBuildDir, buildsDir, reuseStages, Set.of());
  }

  /** A request that builds every stage from scratch. */
  public BuildRequest(Path definitionDir, String target, Map<String, Path> components, Path outDir, Path cacheDir,
      Path keysDir, boolean localRepos, Optional<Path> aptSources, OptionalLong sourceDateEpoch, boolean keepBuildDir,
      Path buildsDir) {
    this(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources, sourceDateEpoch,
        keepBuildDir, buildsDir, false);
  }

  /** A request whose build directory goes under {@code <cacheDir>/builds}, building every stage from scratch. */
  public BuildRequest(Path definitionDir, String target, Map<String, Path> components, Path outDir, Path cacheDir,
      Path keysDir, boolean localRepos, Optional<Path> aptSources, OptionalLong sourceDateEpoch, boolean keepBuildDir) {
    this(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources, sourceDateEpoch,
        keepBuildDir, null);
  }

  /** The same request, allowed (or not) to reuse cached stages. */
  public BuildRequest withReuseStages(boolean reuse) {
    return new BuildRequest(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources,
        sourceDateEpoch, keepBuildDir, buildsDir, reuse, allowUnsigned, pinned, actionCache, buildId, stageArchives,
        recordCheck);
  }

  /** The same request, allowing exactly these definitions to go unsigned. */
  public BuildRequest withAllowUnsigned(Collection<String> names) {
    return new BuildRequest(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources,
        sourceDateEpoch, keepBuildDir, buildsDir, reuseStages, Set.copyOf(names), pinned, actionCache, buildId,
        stageArchives, recordCheck);
  }

  /**
   * The same request as a rebuild from a record: it installs exactly {@code inputs} at {@code epoch} and never
   * takes a stage from the stage cache nor puts one there (the cache's keys know nothing of pinned inputs).
   */
  public BuildRequest pinnedTo(PinnedInputs inputs, long epoch) {
    return new BuildRequest(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources,
        OptionalLong.of(epoch), keepBuildDir, buildsDir, false, allowUnsigned, Optional.of(inputs), false, buildId,
        stageArchives, recordCheck);
  }

  /**
   * The same request, served from the action cache when it holds this build's outputs (and putting them there
   * when it ran), or not; {@code id} is the farm's build id (null for a local build). A pinned rebuild never is.
   */
  public BuildRequest withActionCache(boolean use, String id) {
    return new BuildRequest(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources,
        sourceDateEpoch, keepBuildDir, buildsDir, reuseStages, allowUnsigned, pinned, use, id, stageArchives,
        recordCheck);
  }

  /** The same request, publishing each stage's archive beside the outputs, or not. */
  public BuildRequest withStageArchives(boolean publish) {
    return new BuildRequest(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources,
        sourceDateEpoch, keepBuildDir, buildsDir, reuseStages, allowUnsigned, pinned, actionCache, buildId, publish,
        recordCheck);
  }

  /** The same request, refused unless this machine is the one {@code check}'s record names (or it allows that). */
  public BuildRequest checkedAgainst(RecordCheck check) {
    return new BuildRequest(definitionDir, target, components, outDir, cacheDir, keysDir, localRepos, aptSources,
        sourceDateEpoch, keepBuildDir, buildsDir, reuseStages, allowUnsigned, pinned, actionCache, buildId,
        stageArchives, Optional.of(check));
  }

  /** The action cache: {@code <cacheDir>/actions}. */
  public Path actionCacheDir() {
    return cacheDir.resolve("actions");
  }

  /** The worker's stage cache: {@code <cacheDir>/stages}. */
  public Path stageCacheDir() {
    return cacheDir.resolve("stages");
  }

  /** The directory each build directory is made in. */
  public Path buildsRoot() {
    return buildsDir != null ? buildsDir : cacheDir.resolve("builds");
  }
}
