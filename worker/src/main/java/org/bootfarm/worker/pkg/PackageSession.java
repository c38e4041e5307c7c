package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.image.ImageRoot;

/**
 * Everything a package-manager driver needs for one build of one definition.
 *
 * @param definition      the validated repo definition
 * @param rootfs          the image root the packages go into
 * @param cacheDir        this repo's warm cache on the worker ({@code <cache-dir>/<repo>}); kept
 *                        between builds, written only with verified files
 * @param workDir         scratch space inside the build directory, deleted with it
 * @param aptSources      for apt: the sources file to use (the definition's, else the worker's own)
 * @param sourceDateEpoch the build's SOURCE_DATE_EPOCH
 * @param stage           the stage name log lines are attributed to
 * @param log             where tool output goes
 * @param pinned          for a rebuild from a record: the exact package files to install, and nothing from
 *                        the definition's repositories; empty for a build that resolves its packages
 */
public record PackageSession(
    RepoDefinition definition,
    Path rootfs,
    Path cacheDir,
    Path workDir,
    Optional<Path> aptSources,
    long sourceDateEpoch,
    String stage,
    BuildLog log,
    Optional<PinnedInputs> pinned) {

  /** A session that resolves its packages from the definition's repositories. */
  public PackageSession(RepoDefinition definition, Path rootfs, Path cacheDir, Path workDir,
      Optional<Path> aptSources, long sourceDateEpoch, String stage, BuildLog log) {
    this(definition, rootfs, cacheDir, workDir, aptSources, sourceDateEpoch, stage, log, Optional.empty());
  }

  /**
   * The rootfs for the worker's own reads and writes in it ({@link ImageRoot}: nothing followed out of
   * the tree); {@link #rootfs()} is for the confined tools.
   */
  public ImageRoot image() throws IOException {
    return ImageRoot.of(rootfs);
  }

  /** The same session writing to {@code other}. */
  public PackageSession withLog(BuildLog other) {
    return new PackageSession(definition, rootfs, cacheDir, workDir, aptSources, sourceDateEpoch, stage, other, pinned);
  }

  /** The same session attributed to another stage. */
  public PackageSession inStage(String newStage) {
    return new PackageSession(definition, rootfs, cacheDir, workDir, aptSources, sourceDateEpoch, newStage, log,
        pinned);
  }
}
