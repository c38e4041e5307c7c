package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageRoot;
import org.bootfarm.worker.image.KernelTree;
import org.bootfarm.worker.pkg.PackageSession;

/**
 * The {@code base} stage, shared by every target of a repo: a fresh rootfs, the definition's
 * {@code base.sh}, {@code packages.base} and the kernel, modules unpacked and indexed by depmod,
 * the kernel moved to {@code bootfs/boot/vmlinuz64}, and {@code /etc/initrd-release}.
 */
public final class BaseStage implements Stage {
  public static final String NAME = "base";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String run(StageContext ctx) throws BuildFailure, IOException {
    RepoSpec spec = ctx.definition().spec();
    ctx.createImageTrees();
    Files.createDirectories(ctx.workDir());

    if (ctx.definition().baseHook().isPresent()) {
      ctx.log().line(NAME, "running base.sh");
      StageTrees.runHook(ctx, ctx.definition().baseHook().get(), NAME);
    }

    List<String> packages = new ArrayList<>(spec.packageList("base"));
    packages.add(spec.kernel());
    ctx.log().line(NAME, "installing " + packages.size() + " packages with " + ctx.driver().engine());
    PackageSession session = ctx.packageSession(NAME);
    ctx.recordInstall(ctx.driver().install(session, packages));

    ImageRoot rootfs = ctx.rootfs();
    KernelTree kernel = KernelTree.find(rootfs, spec.kernel());
    ctx.kernelVersion(kernel.version());
    int unpacked = kernel.unpackCompressedModules();
    ctx.log().line(NAME, "kernel " + kernel.version() + ": unpacked " + unpacked + " compressed modules");
    kernel.depmod(ctx.log(), NAME, ctx.sourceDateEpoch());
    kernel.moveKernelTo(ctx.bootfs());
    writeInitrdRelease(ctx, rootfs);

    ctx.driver().cleanImage(session, true);
    return StageTrees.archive(ctx, NAME);
  }

  /**
   * Marks the image as an initrd for systemd: a copy of the image's os-release, or a minimal one
   * naming the definition when the distribution ships none.
   */
  private static void writeInitrdRelease(StageContext ctx, ImageRoot rootfs) throws IOException {
    byte[] content;
    if (rootfs.isRegularFile("/etc/os-release")) {
      content = rootfs.read("/etc/os-release");
    } else if (rootfs.isRegularFile("/usr/lib/os-release")) {
      content = rootfs.read("/usr/lib/os-release");
    } else {
      content = ("NAME=\"" + ctx.definition().name() + "\"\nID=bootfarm-initrd\n").getBytes(StandardCharsets.UTF_8);
    }
    rootfs.write("/etc/initrd-release", content, "rw-r--r--");
  }
}
