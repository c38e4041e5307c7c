package org.bootfarm.worker.stage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.archive.ImageTree;
import org.bootfarm.worker.image.ImageDirectories;
import org.bootfarm.worker.image.InRoot;
import org.bootfarm.worker.archive.InitramfsWriter;
import org.bootfarm.worker.iso.BootConfig;
import org.bootfarm.worker.iso.IsoWriter;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.record.TreeManifest;

/**
 * The {@code assemble} stage of a bootstrap: puts the components, bootfarm's init and bootstrap
 * scripts and the definition's init.sh into the rootfs (the layout is
 * {@code org/bootfarm/worker/assemble/LAYOUT.md}), writes the rootfs as the gzip'd newc
 * initramfs {@code /boot/core.gz}, and the ISO that boots it with isolinux.
 */
public final class AssembleStage implements Stage {
  public static final String NAME = "assemble";
  /** The default repo's bootstrap is plain {@code bootstrap.iso}; every other one carries its name. */
  public static final String DEFAULT_REPO = "photon-2.0";
  private static final int INITRAMFS_GZIP_LEVEL = 6;

  private final String isoName;
  private Manifest manifest;
  private String initramfsSha256;

  public AssembleStage(String repoName) {
    this.isoName = DEFAULT_REPO.equals(repoName) ? "bootstrap.iso" : "bootstrap-" + repoName + ".iso";
  }

  @Override
  public String name() {
    return NAME;
  }

  public String isoName() {
    return isoName;
  }

  /** Every file of the initramfs and the ISO, known once the stage ran. */
  public Manifest manifest() {
    return manifest;
  }

  public String initramfsSha256() {
    return initramfsSha256;
  }

  @Override
  public String run(StageContext ctx) throws BuildFailure, IOException {
    Path rootfs = ctx.rootfs();
    for (Map.Entry<String, Path> component : ctx.request().components().entrySet()) {
      StageTrees.writeFile(InRoot.resolve(rootfs, "/bin/" + component.getKey()),
          Files.readAllBytes(component.getValue()), "rwxr-xr-x");
    }
    String flavour = initFlavour(rootfs);
    ctx.log().line(NAME, "/bin/init: " + flavour);
    StageTrees.writeFile(InRoot.resolve(rootfs, "/bin/init"), asset(flavour), "rwxr-xr-x");
    StageTrees.writeFile(InRoot.resolve(rootfs, "/bin/bootstrap"), asset("bootstrap"), "rwxr-xr-x");
    StageTrees.writeFile(InRoot.resolve(rootfs, "/bin/repoinit"),
        Files.readAllBytes(ctx.definition().initScript()), "rwxr-xr-x");
    long tempfsMib = TempfsLayout.write(rootfs);
    ctx.log().line(NAME, "tether tmpfs: " + tempfsMib + " MiB");
    String init = ctx.definition().spec().init();
    if (!Files.isExecutable(InRoot.resolve(rootfs, init))) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "repo-spec.json: init: " + init
          + " is not an executable file in the image; name /bin/init or an init the packages install");
    }

    Path iso = ctx.isoTree();
    ImageDirectories.create(iso);
    ImageDirectories.create(iso.resolve("boot"));
    ctx.log().line(NAME, "writing initramfs boot/core.gz");
    initramfsSha256 = InitramfsWriter.write(rootfs, iso.resolve("boot/core.gz"), ctx.sourceDateEpoch(),
        INITRAMFS_GZIP_LEVEL);
    Files.copy(ctx.bootfs().resolve("boot/vmlinuz64"), iso.resolve("boot/vmlinuz64"));
    Files.setPosixFilePermissions(iso.resolve("boot/vmlinuz64"), PosixFilePermissions.fromString("rw-r--r--"));

    Path out = ctx.outputDir().resolve(isoName);
    ctx.log().line(NAME, "writing " + isoName);
    BootConfig boot = new BootConfig("/boot/vmlinuz64", "/boot/core.gz", kernelCommandLine(ctx));
    String isoSha256 = IsoWriter.write(iso, out, boot, volumeId(ctx), ctx.sourceDateEpoch());

    manifest = TreeManifest.of("initramfs", ImageTree.scan(rootfs, ctx.sourceDateEpoch()))
        .merge(TreeManifest.of("iso", ImageTree.scan(iso, ctx.sourceDateEpoch())));
    return isoSha256;
  }

  /**
   * The kernel command line: the spec's init as rdinit; the serial console a VM logs to (it must be
   * the last console= so init, bootstrap and tether write there); only kernel errors, which keeps
   * a TCG boot fast; and a panic reboots (qemu -no-reboot then exits) instead of hanging.
   */
  static String kernelCommandLine(StageContext ctx) {
    return "rdinit=" + ctx.definition().spec().init() + " console=ttyS0,115200n8 loglevel=3 panic=1";
  }

  /**
   * {@code init-systemd} when the image has systemd's udev (it then finds disks by label and loads
   * modules for the hardware), else the sysv flavour {@code init}, which needs only bash.
   */
  static String initFlavour(Path rootfs) throws IOException {
    for (String udevd : new String[] {"/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd"}) {
      if (Files.isExecutable(InRoot.resolve(rootfs, udevd))) {
        return "init-systemd";
      }
    }
    return "init";
  }

  /** ISO volume id: upper-case, at most 32 characters, from the repo name (never the clock). */
  static String volumeId(StageContext ctx) {
    String id = ("BOOTSTRAP-" + ctx.definition().name()).toUpperCase().replaceAll("[^A-Z0-9_-]", "_");
    return id.length() > 32 ? id.substring(0, 32) : id;
  }

  private static byte[] asset(String name) throws IOException {
    String resource = "/org/bootfarm/worker/assemble/" + name;
    try (InputStream in = AssembleStage.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("bootfarm jar lacks its resource " + resource + ": rebuild the jar");
      }
      return in.readAllBytes();
    }
  }
}
