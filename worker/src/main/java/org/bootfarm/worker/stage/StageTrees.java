package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.archive.DeterministicTar;
import org.bootfarm.worker.hook.HookRunner;

/**
 * What the stages do to their trees in the same way: run a definition hook with the environment the
 * original VIC scripts expect, and capture the stage tree as a deterministic archive. Files go into the
 * trees through {@link org.bootfarm.worker.image.ImageRoot}.
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

  /** Writes the stage tree as {@code out/stages/<name>.tar.gz} and returns its sha256. */
  static String archive(StageContext ctx, String name) throws IOException, BuildFailure {
    Path archive = ctx.outputDir().resolve("stages").resolve(name + ".tar.gz");
    Files.createDirectories(archive.getParent());
    ctx.log().line(name, "writing stage archive " + archive.getFileName());
    return DeterministicTar.write(ctx.stageTree(), archive, ctx.sourceDateEpoch());
  }
}
