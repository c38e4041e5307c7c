package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.archive.DeterministicTar;
import org.bootfarm.worker.hook.HookRunner;

/**
 * What the stages do to their trees in the same way: run a definition hook with the environment the
 * original VIC scripts expect, and hash the stage tree as a deterministic tar (archived when something reads
 * it). Files go into the trees through {@link org.bootfarm.worker.image.ImageRoot}.
 */
final class StageTrees {
  private StageTrees() {}

  /**
   * Runs {@code base.sh} or {@code staging.sh} sandboxed, with {@code PKGDIR} (the stage tree
   * holding rootfs/ and bootfs/) and {@code REPODIR} (the definition), as VIC's isos/base.sh set them.
   */
  static void runHook(StageContext ctx, Path script, String stage) throws BuildFailure {
    new HookRunner(ctx.buildDir(), ctx.sourceDateEpoch())
        .run(stage, script, ctx.definition().directory(), ctx.stageTree(), ctx.log());
    try {
      ctx.rootfs();
      ctx.bootfs();
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.HOOK, script.getFileName() + " left the image trees unusable: "
          + e.getMessage(), e);
    }
  }

  /**
   * Returns the stage tree's sha256, the sha256 of its deterministic tar, and writes that tar gzip'd where
   * {@link StageContext#archiveOf} says something will read it (docs/adr/0062).
   */
  static String archive(StageContext ctx, String name) throws IOException, BuildFailure {
    Optional<Path> archive = ctx.archiveOf(name);
    if (archive.isEmpty()) {
      ctx.log().line(name, "hashing the stage tree (no archive: nothing reads one; --stage-archives writes them)");
      return DeterministicTar.digest(ctx.stageTree(), ctx.sourceDateEpoch());
    }
    Files.createDirectories(archive.get().getParent());
    ctx.log().line(name, "writing stage archive " + archive.get().getFileName());
    return DeterministicTar.write(ctx.stageTree(), archive.get(), ctx.sourceDateEpoch());
  }
}
