package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageDirectories;
import org.bootfarm.worker.image.ImageNormaliser;
import org.bootfarm.worker.image.InRoot;

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
    Path rootfs = ctx.rootfs();
    if (!Files.isExecutable(InRoot.resolve(rootfs, INIT))) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, ctx.definition().directory().resolve("repo-spec.json")
          + ": packages.appliance: the image has no executable " + INIT + "; the appliance boots systemd:"
          + " add systemd to packages.appliance");
    }
    for (Map.Entry<String, Path> component : ctx.request().components().entrySet()) {
      StageTrees.writeFile(InRoot.resolve(rootfs, "/sbin/" + component.getKey()),
          Files.readAllBytes(component.getValue()), "rwxr-xr-x");
    }
    // the base stage marks its tree as an initrd; systemd would then run initrd.target, not vic.target
    Files.deleteIfExists(InRoot.resolve(rootfs, "/etc/initrd-release"));

    Path units = ImageDirectories.create(InRoot.resolve(rootfs, UNIT_DIR));
    for (String unit : UNITS) {
      StageTrees.writeFile(units.resolve(unit), asset(unit), "rw-r--r--");
    }
    Path scripts = ImageDirectories.create(InRoot.resolve(rootfs, SCRIPT_DIR));
    for (String script : SCRIPTS) {
      StageTrees.writeFile(scripts.resolve(script), asset(script), "rwxr-xr-x");
    }
    link(units.resolve("default.target"), UNIT_DIR + "/vic.target");
    for (String unit : MASKED) {
      removeEnablement(units, unit);
      link(units.resolve(unit), "/dev/null");
    }
    ctx.log().line(NAME, "units: " + UNITS + " in " + UNIT_DIR + ", default.target -> vic.target; masked " + MASKED);

    ApplianceAccounts.write(rootfs, ctx.sourceDateEpoch());
    ctx.log().line(NAME, "accounts: vicadmin (uid/gid 1000, in systemd-journal), group vic (gid 1001)");
    ImageNormaliser.normalise(rootfs);
    Path machineId = InRoot.resolve(rootfs, "/etc").resolve("machine-id");
    Files.deleteIfExists(machineId);
    StageTrees.writeFile(machineId, new byte[0], "r--r--r--");

    written = BootMedia.write(ctx, NAME, ISO_NAME, BootMedia.volumeId("APPLIANCE", ctx.definition().name()),
        BootMedia.commandLine(INIT));
    return written.isoSha256();
  }

  /** Replaces whatever is at {@code link} with a symlink to {@code target}. */
  private static void link(Path link, String target) throws IOException {
    if (Files.isDirectory(link, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(link + " is a directory; cannot make it a link to " + target);
    }
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, Path.of(target));
  }

  /**
   * Deletes the links that enabled {@code unit} in the unit dir: {@code *.wants/unit}, {@code *.requires/unit},
   * and aliases such as {@code dbus-org.freedesktop.resolve1.service} that point at it.
   */
  private static void removeEnablement(Path units, String unit) throws IOException {
    try (Stream<Path> children = Files.list(units)) {
      for (Path child : children.sorted().toList()) {
        if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
          Path wanted = child.resolve(unit);
          if (Files.isSymbolicLink(wanted)) {
            Files.delete(wanted);
          }
        } else if (Files.isSymbolicLink(child) && !child.getFileName().toString().equals(unit)) {
          Path target = Files.readSymbolicLink(child).getFileName();
          if (target != null && target.toString().equals(unit)) {
            Files.delete(child);
          }
        }
      }
    }
  }

  private static byte[] asset(String name) throws IOException {
    return BootMedia.asset("appliance", name);
  }
}
