package org.bootfarm.worker.stage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageNormaliser;
import org.bootfarm.worker.pkg.PackageSession;
import org.bootfarm.worker.pkg.PinnedSet;

/**
 * The {@code staging-<target>} stage: the target's {@code packages_script_staging} command, its
 * package list, the definition's {@code staging.sh}, then the lock is taken (with what the script or hook
 * removed, and in a rebuild checked against the pinned set) and the package manager's caches, logs and (for
 * a bootstrap, which carries no package manager) database are cleaned out of the image.
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
    boolean hook = ctx.definition().stagingHook().isPresent();
    // a script or hook may remove packages: the locks read before them find what a rebuild needs that the
    // final lock no longer lists (docs/adr/0035); without either, nothing can be removed and nothing is read
    List<Lock> earlier = new ArrayList<>();
    if (!script.isEmpty() || hook) {
      earlier.add(ctx.driver().lock(session));
    }
    if (!script.isEmpty()) {
      ctx.log().line(name(), "package script: " + script);
      ctx.driver().runScript(session, script);
    }
    if (!spec.packageList(target).isEmpty()) {
      ctx.recordInstall(ctx.driver().install(session, spec.packageList(target)));
      if (hook) {
        earlier.add(ctx.driver().lock(session));
      }
    }
    if (hook) {
      ctx.log().line(name(), "running staging.sh");
      StageTrees.runHook(ctx, ctx.definition().stagingHook().get(), name());
    }
    Lock last = ctx.driver().lock(session);
    Lock lock = last.withRemoved(PinnedSet.removed(earlier, last));
    if (!lock.removed().isEmpty()) {
      ctx.log().line(name(), "removed during the staging (kept as inputs of a rebuild): "
          + String.join(", ", lock.removed().stream().map(LockedPackage::describe).toList()));
    }
    if (session.pinned().isPresent()) {
      lock = PinnedSet.exactly(lock, session.pinned().get());
    }
    ctx.lock(lock);
    ctx.inputFiles(ctx.driver().packageFiles(session, lock));
    ctx.driver().cleanImage(session, "appliance".equals(target));
    ImageNormaliser.normalise(ctx.rootfs());
    return StageTrees.archive(ctx, name());
  }
}
