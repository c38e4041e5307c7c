package org.bootfarm.worker.stage;

import java.io.IOException;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageNormaliser;
import org.bootfarm.worker.pkg.PackageSession;

/**
 * The {@code staging-<target>} stage: the target's {@code packages_script_staging} command, its
 * package list, the definition's {@code staging.sh}, then the lock is taken and the package
 * manager's caches, logs and (for a bootstrap, which carries no package manager) database are
 * cleaned out of the image.
 */
public final class StagingStage implements Stage {
  private final String target;

  public StagingStage(String target) {
    this.target = target;
  }

  @Override
  public String name() {
    return "staging-" + target;
  }

  @Override
  public String run(StageContext ctx) throws BuildFailure, IOException {
    RepoSpec spec = ctx.definition().spec();
    PackageSession session = ctx.packageSession(name());
    String script = spec.stagingScript(target);
    if (!script.isEmpty()) {
      ctx.log().line(name(), "package script: " + script);
      ctx.driver().runScript(session, script);
    }
    if (!spec.packageList(target).isEmpty()) {
      ctx.recordInstall(ctx.driver().install(session, spec.packageList(target)));
    }
    if (ctx.definition().stagingHook().isPresent()) {
      ctx.log().line(name(), "running staging.sh");
      StageTrees.runHook(ctx, ctx.definition().stagingHook().get(), name());
    }
    ctx.lock(ctx.driver().lock(session));
    ctx.inputFiles(ctx.driver().packageFiles(session, ctx.lock()));
    ctx.driver().cleanImage(session, "appliance".equals(target));
    ImageNormaliser.normalise(ctx.rootfs());
    return StageTrees.archive(ctx, name());
  }
}
