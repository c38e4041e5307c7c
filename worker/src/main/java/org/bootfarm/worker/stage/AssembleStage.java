package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageRoot;
import org.bootfarm.protocol.build.Manifest;

/**
 * The {@code assemble} stage of a bootstrap: puts the components, bootfarm's init and bootstrap
 * scripts and the definition's init.sh into the rootfs (the layout is
 * {@code org/bootfarm/worker/assemble/LAYOUT.md}), writes the rootfs as the gzip'd newc
 * initramfs {@code /boot/core.gz}, and the ISO that boots it with isolinux ({@link BootMedia}).
 */
public final class AssembleStage implements ImageAssembly {
  public static final String NAME = "assemble";
  /** The default repo's bootstrap is plain {@code bootstrap.iso}; every other one carries its name. */
  public static final String DEFAULT_REPO = "photon-2.0";

  private final String isoName;
  private BootMedia.Written written;

  public AssembleStage(String repoName) {
    this.isoName = DEFAULT_REPO.equals(repoName) ? "bootstrap.iso" : "bootstrap-" + repoName + ".iso";
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String isoName() {
    return isoName;
  }

  @Override
  public Manifest manifest() {
    return written.manifest();
  }

  @Override
  public String initramfsSha256() {
    return written.initramfsSha256();
  }

  @Override
  public String run(StageContext ctx) throws BuildFailure, IOException {
    ImageRoot rootfs = ctx.rootfs();
    // each of these replaces whatever the image has at its path, a link included (a busybox image's
    // /bin/init links to the multi-call binary, which must stay as the package made it)
    for (Map.Entry<String, Path> component : ctx.request().components().entrySet()) {
      rootfs.copy(component.getValue(), "/bin/" + component.getKey(), "rwxr-xr-x");
    }
    String flavour = initFlavour(rootfs);
    ctx.log().line(NAME, "/bin/init: " + flavour);
    rootfs.write("/bin/init", asset(flavour), "rwxr-xr-x");
    rootfs.write("/bin/bootstrap", asset("bootstrap"), "rwxr-xr-x");
    rootfs.copy(ctx.definition().initScript(), "/bin/repoinit", "rwxr-xr-x");
    long tempfsMib = TempfsLayout.write(rootfs);
    ctx.log().line(NAME, "tether tmpfs: " + tempfsMib + " MiB");
    String init = ctx.definition().spec().init();
    if (!rootfs.isExecutable(init)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "repo-spec.json: init: " + init
          + " is not an executable file in the image; name /bin/init or an init the packages install");
    }
    written = BootMedia.write(ctx, NAME, isoName, volumeId(ctx), kernelCommandLine(ctx));
    return written.isoSha256();
  }

  /** The kernel command line: the spec's init as rdinit, on the serial console ({@link BootMedia#commandLine}). */
  static String kernelCommandLine(StageContext ctx) {
    return BootMedia.commandLine(ctx.definition().spec().init());
  }

  /**
   * {@code init-systemd} when the image has systemd's udev (it then finds disks by label and loads
   * modules for the hardware), else the sysv flavour {@code init}, which needs only bash.
   */
  static String initFlavour(ImageRoot rootfs) throws IOException {
    for (String udevd : new String[] {"/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd"}) {
      if (rootfs.isExecutable(udevd)) {
        return "init-systemd";
      }
    }
    return "init";
  }

  /** ISO volume id: upper-case, at most 32 characters, from the repo name (never the clock). */
  static String volumeId(StageContext ctx) {
    return BootMedia.volumeId("BOOTSTRAP", ctx.definition().name());
  }

  private static byte[] asset(String name) throws IOException {
    return BootMedia.asset("assemble", name);
  }
}
