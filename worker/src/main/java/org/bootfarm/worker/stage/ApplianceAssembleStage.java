package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageNormaliser;
import org.bootfarm.worker.image.ImageRoot;

/**
 * The {@code assemble} stage of the endpoint VM's appliance: the components into {@code /sbin}, the
 * systemd units that start vic-init, NAT and permissions setup under {@code vic.target} (made the
 * default target), networkd, resolved and timesyncd masked, the {@code vicadmin} user and {@code vic}
 * group ({@link ApplianceAccounts}), an empty machine-id, then the same initramfs and ISO as a bootstrap
 * ({@link BootMedia}) with {@code /lib/systemd/systemd} as init. What the appliance contains is
 * {@code org/bootfarm/worker/appliance/LAYOUT.md}.
 */
public final class ApplianceAssembleStage implements ImageAssembly {
  public static final String NAME = AssembleStage.NAME;
  /** The appliance's ISO: one per farm, built from the farm's appliance repo, so it carries no repo name. */
  public static final String ISO_NAME = "appliance.iso";
  /** PID 1 of the appliance. */
  public static final String INIT = "/lib/systemd/systemd";
  /** Where the appliance's own units go (the administrator's directory: nothing a package owns). */
  static final String UNIT_DIR = "/etc/systemd/system";
  /** bootfarm's units and the scripts they run, from {@code org/bootfarm/worker/appliance/}. */
  static final List<String> UNITS = List.of("vic.target", "vic-init.service", "nat.service", "permissions.service");
  static final List<String> SCRIPTS = List.of("nat-setup", "permissions-setup");
  static final String SCRIPT_DIR = "/usr/lib/vic";
  /**
   * Masked too: with the empty machine-id every boot is a "first boot", and the wizard would wait on the
   * console for a locale, time zone and root password that nobody types on an appliance.
   */
  static final String FIRSTBOOT = "systemd-firstboot.service";
  /**
   * Units the endpoint VM must never run (vic-init configures the network, names and time itself):
   * masked, i.e. linked to /dev/null in {@link #UNIT_DIR}, so neither a dependency nor an activation
   * socket can start them and {@code systemctl is-enabled} answers {@code masked}.
   */
  public static final List<String> MASKED = List.of(
      "systemd-networkd.service", "systemd-networkd.socket", "systemd-networkd-wait-online.service",
      "systemd-resolved.service", "systemd-timesyncd.service", FIRSTBOOT);

  private BootMedia.Written written;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String isoName() {
    return ISO_NAME;
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
    if (!rootfs.isExecutable(INIT)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, ctx.definition().directory().resolve("repo-spec.json")
          + ": packages.appliance: the image has no executable " + INIT + "; the appliance boots systemd:"
          + " add systemd to packages.appliance");
    }
    for (Map.Entry<String, Path> component : ctx.request().components().entrySet()) {
      rootfs.copy(component.getValue(), "/sbin/" + component.getKey(), "rwxr-xr-x");
    }
    // the base stage marks its tree as an initrd; systemd would then run initrd.target, not vic.target
    rootfs.delete("/etc/initrd-release");

    for (String unit : UNITS) {
      rootfs.write(UNIT_DIR + "/" + unit, asset(unit), "rw-r--r--");
    }
    for (String script : SCRIPTS) {
      rootfs.write(SCRIPT_DIR + "/" + script, asset(script), "rwxr-xr-x");
    }
    rootfs.symlink(UNIT_DIR + "/default.target", UNIT_DIR + "/vic.target");
    for (String unit : MASKED) {
      removeEnablement(rootfs, unit);
      rootfs.symlink(UNIT_DIR + "/" + unit, "/dev/null");
    }
    ctx.log().line(NAME, "units: " + UNITS + " in " + UNIT_DIR + ", default.target -> vic.target; masked " + MASKED);

    ApplianceAccounts.write(rootfs, ctx.sourceDateEpoch());
    ctx.log().line(NAME, "accounts: vicadmin (uid/gid 1000, in systemd-journal), group vic (gid 1001)");
    ImageNormaliser.normalise(rootfs);
    rootfs.write("/etc/machine-id", new byte[0], "r--r--r--");

    written = BootMedia.write(ctx, NAME, ISO_NAME, BootMedia.volumeId("APPLIANCE", ctx.definition().name()),
        BootMedia.commandLine(INIT));
    return written.isoSha256();
  }

  /**
   * Deletes the links that enabled {@code unit} in the unit dir: {@code *.wants/unit}, {@code *.requires/unit},
   * and aliases such as {@code dbus-org.freedesktop.resolve1.service} that point at it.
   */
  private static void removeEnablement(ImageRoot rootfs, String unit) throws IOException {
    for (String child : rootfs.list(UNIT_DIR)) {
      String path = UNIT_DIR + "/" + child;
      if (rootfs.isSymbolicLink(path)) {
        Path target = Files.readSymbolicLink(rootfs.locate(path)).getFileName();
        if (!child.equals(unit) && target != null && target.toString().equals(unit)) {
          rootfs.delete(path);
        }
      } else if (rootfs.isDirectory(path) && rootfs.isSymbolicLink(path + "/" + unit)) {
        rootfs.delete(path + "/" + unit);
      }
    }
  }

  private static byte[] asset(String name) throws IOException {
    return BootMedia.asset("appliance", name);
  }
}
