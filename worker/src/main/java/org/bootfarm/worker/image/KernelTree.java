package org.bootfarm.worker.image;

import java.util.Map;
import org.bootfarm.worker.process.ExternalCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.sandbox.Sandbox;
import org.tukaani.xz.XZInputStream;

/**
 * The kernel an image boots and the modules it loads: finds the one installed kernel version,
 * unpacks {@code .ko.xz} modules (busybox and old kmods cannot load them), runs depmod for that
 * version, and moves the kernel image out of the rootfs to {@code bootfs/boot/vmlinuz64}.
 */
public final class KernelTree {
  private static final String MODULES = "/lib/modules";

  private final ImageRoot rootfs;
  private final String version;

  private KernelTree(ImageRoot rootfs, String version) {
    this.rootfs = rootfs;
    this.version = version;
  }

  /** Finds the single kernel installed in the rootfs; more than one or none is an error naming them. */
  public static KernelTree find(ImageRoot rootfs, String kernelPackage) throws BuildFailure, IOException {
    List<String> versions = new ArrayList<>();
    for (String name : rootfs.list(MODULES)) {
      if (rootfs.isDirectory(MODULES + "/" + name)) {
        versions.add(name);
      }
    }
    if (versions.isEmpty()) {
      throw new BuildFailure(BuildFailure.Kind.PACKAGE, "kernel package '" + kernelPackage
          + "' installed no /lib/modules/<version> directory: check repo-spec.json field kernel");
    }
    if (versions.size() > 1) {
      throw new BuildFailure(BuildFailure.Kind.PACKAGE, "more than one kernel installed (" + versions
          + "): repo-spec.json field kernel and packages.base must bring exactly one");
    }
    return new KernelTree(rootfs, versions.get(0));
  }

  public String version() {
    return version;
  }

  /**
   * Decompresses every {@code .ko.xz} module in place, keeping its mode; returns how many. Only
   * regular files count, and each {@code .ko} is written as a new file: a link in the modules tree
   * is neither read through nor written through.
   */
  public int unpackCompressedModules() throws IOException {
    Path modulesDir = rootfs.resolve(MODULES + "/" + version);
    List<String> compressed;
    try (Stream<Path> walk = Files.walk(modulesDir)) {
      compressed = walk.filter(p -> p.getFileName().toString().endsWith(".ko.xz"))
          .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .map(p -> "/" + rootfs.hostPath().relativize(p)).sorted().toList();
    }
    for (String xz : compressed) {
      String ko = xz.substring(0, xz.length() - ".xz".length());
      Path source = rootfs.resolve(xz);
      String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(source, LinkOption.NOFOLLOW_LINKS));
      rootfs.write(ko, mode, out -> {
        try (InputStream in = new XZInputStream(rootfs.open(xz))) {
          in.transferTo(out);
        }
      });
      rootfs.delete(xz);
    }
    return compressed.size();
  }

  /**
   * Runs the host's depmod against the rootfs for this kernel version, in a {@link Sandbox}: depmod
   * follows the links the image holds, so it sees the rootfs (writable, for the modules.* files it
   * writes) and the host's programs only, with no network and no capability.
   */
  public void depmod(BuildLog log, String stage, long sourceDateEpoch) throws BuildFailure {
    ExternalCommand.Result result;
    try {
      Sandbox sandbox = Sandbox.confined().writable(rootfs.hostPath());
      result = ExternalCommand.run(sandbox.command(List.of("depmod", "-a", "-b", rootfs.hostPath().toString(),
          version)),
          Map.of("SOURCE_DATE_EPOCH", Long.toString(sourceDateEpoch)), null, line -> log.line(stage, line));
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot run depmod: " + e.getMessage(), e);
    }
    if (!result.succeeded()) {
      throw new BuildFailure(BuildFailure.Kind.TOOL,
          "depmod failed for kernel " + version + " (install Debian packages kmod and bubblewrap):\n" + result.lastLines(20));
    }
    if (!hasModulesDep()) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "depmod wrote no modules.dep for kernel " + version);
    }
  }

  private boolean hasModulesDep() {
    try {
      return rootfs.isRegularFile(MODULES + "/" + version + "/modules.dep");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Moves the kernel image ({@code /boot/vmlinuz-<version>}, else the only {@code /boot/vmlinuz*})
   * to {@code /boot/vmlinuz64} in the bootfs, and empties {@code /boot}.
   */
  public void moveKernelTo(ImageRoot bootfs) throws BuildFailure, IOException {
    String image = "/boot/vmlinuz-" + version;
    if (!rootfs.isRegularFile(image)) {
      List<String> candidates = new ArrayList<>();
      for (String name : rootfs.list("/boot")) {
        if (name.startsWith("vmlinuz") && rootfs.isRegularFile("/boot/" + name)) {
          candidates.add("/boot/" + name);
        }
      }
      if (candidates.size() != 1) {
        throw new BuildFailure(BuildFailure.Kind.PACKAGE, "cannot find the kernel image for " + version
            + " in /boot (found " + candidates + "): the kernel package must install /boot/vmlinuz-" + version);
      }
      image = candidates.get(0);
    }
    rootfs.moveTo(image, bootfs, BOOTFS_KERNEL);
    removeBootLeftovers();
  }

  /** Where {@link #moveKernelTo} puts the kernel in the bootfs. */
  public static final String BOOTFS_KERNEL = "/boot/vmlinuz64";

  /**
   * Empties {@code /boot} (initrd images, System.map, config: the kernel went to the ISO and the
   * tree is unpacked into the guest's RAM) and drops the top-level {@code /vmlinuz*} and
   * {@code /initrd.img*} links that then dangle.
   */
  private void removeBootLeftovers() throws IOException {
    rootfs.deleteChildren("/boot");
    for (String name : rootfs.list("/")) {
      if ((name.startsWith("vmlinuz") || name.startsWith("initrd.img")) && rootfs.isSymbolicLink("/" + name)) {
        rootfs.delete("/" + name);
      }
    }
  }
}
