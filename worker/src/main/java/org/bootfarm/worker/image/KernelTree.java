package org.bootfarm.worker.image;

import java.util.Map;
import org.bootfarm.worker.process.ExternalCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.sandbox.Sandbox;
import org.tukaani.xz.XZInputStream;

/**
 * The kernel an image boots and the modules it loads: finds the one installed kernel version,
 * unpacks {@code .ko.xz} modules (busybox and old kmods cannot load them), runs depmod for that
 * version, and moves the kernel image out of the rootfs to {@code bootfs/boot/vmlinuz64}.
 */
public final class KernelTree {
  private final Path rootfs;
  private final String version;
  private final Path modulesDir;

  private KernelTree(Path rootfs, String version, Path modulesDir) {
    this.rootfs = rootfs;
    this.version = version;
    this.modulesDir = modulesDir;
  }

  /** Finds the single kernel installed in the rootfs; more than one or none is an error naming them. */
  public static KernelTree find(Path rootfs, String kernelPackage) throws BuildFailure, IOException {
    Path modules = InRoot.resolve(rootfs, "/lib/modules");
    List<String> versions = new ArrayList<>();
    if (Files.isDirectory(modules)) {
      try (Stream<Path> list = Files.list(modules)) {
        list.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(versions::add);
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
    return new KernelTree(rootfs, versions.get(0), modules.resolve(versions.get(0)));
  }

  public String version() {
    return version;
  }

  /** Decompresses every {@code .ko.xz} module in place, keeping its mode; returns how many. */
  public int unpackCompressedModules() throws IOException {
    List<Path> compressed;
    try (Stream<Path> walk = Files.walk(modulesDir)) {
      compressed = walk.filter(p -> p.getFileName().toString().endsWith(".ko.xz"))
          .filter(Files::isRegularFile).sorted().toList();
    }
    for (Path xz : compressed) {
      String name = xz.getFileName().toString();
      Path ko = xz.resolveSibling(name.substring(0, name.length() - ".xz".length()));
      try (InputStream in = new XZInputStream(Files.newInputStream(xz));
          OutputStream out = Files.newOutputStream(ko)) {
        in.transferTo(out);
      }
      Files.setPosixFilePermissions(ko, Files.getPosixFilePermissions(xz));
      Files.delete(xz);
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
      Sandbox sandbox = Sandbox.confined().writable(rootfs.toAbsolutePath());
      result = ExternalCommand.run(sandbox.command(List.of("depmod", "-a", "-b", rootfs.toAbsolutePath().toString(),
          version)),
          Map.of("SOURCE_DATE_EPOCH", Long.toString(sourceDateEpoch)), null, line -> log.line(stage, line));
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot run depmod: " + e.getMessage(), e);
    }
    if (!result.succeeded()) {
      throw new BuildFailure(BuildFailure.Kind.TOOL,
          "depmod failed for kernel " + version + " (install Debian packages kmod and bubblewrap):\n" + result.lastLines(20));
    }
    if (!Files.isRegularFile(modulesDir.resolve("modules.dep"))) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "depmod wrote no modules.dep for kernel " + version);
    }
  }

  /**
   * Moves the kernel image ({@code /boot/vmlinuz-<version>}, else the only {@code /boot/vmlinuz*})
   * to {@code bootfs/boot/vmlinuz64}, and empties {@code /boot}.
   */
  public Path moveKernelTo(Path bootfs) throws BuildFailure, IOException {
    Path boot = InRoot.resolve(rootfs, "/boot");
    Path image = boot.resolve("vmlinuz-" + version);
    if (!Files.isRegularFile(image)) {
      List<Path> candidates = new ArrayList<>();
      if (Files.isDirectory(boot)) {
        try (Stream<Path> list = Files.list(boot)) {
          list.filter(p -> p.getFileName().toString().startsWith("vmlinuz")).filter(Files::isRegularFile)
              .sorted().forEach(candidates::add);
        }
      }
      if (candidates.size() != 1) {
        throw new BuildFailure(BuildFailure.Kind.PACKAGE, "cannot find the kernel image for " + version
            + " in /boot (found " + candidates + "): the kernel package must install /boot/vmlinuz-" + version);
      }
      image = candidates.get(0);
    }
    Path target = bootfs.resolve("boot/vmlinuz64");
    ImageDirectories.create(target.getParent());
    Files.move(image, target, StandardCopyOption.REPLACE_EXISTING);
    removeBootLeftovers(boot);
    return target;
  }

  /**
   * Empties {@code /boot} (initrd images, System.map, config: the kernel went to the ISO and the
   * tree is unpacked into the guest's RAM) and drops the top-level {@code /vmlinuz*} and
   * {@code /initrd.img*} links that then dangle.
   */
  private void removeBootLeftovers(Path boot) throws IOException {
    if (Files.isDirectory(boot)) {
      try (Stream<Path> walk = Files.walk(boot)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          if (!p.equals(boot)) {
            Files.delete(p);
          }
        }
      }
    }
    try (Stream<Path> top = Files.list(rootfs)) {
      for (Path p : top.toList()) {
        String name = p.getFileName().toString();
        if (Files.isSymbolicLink(p) && (name.startsWith("vmlinuz") || name.startsWith("initrd.img"))) {
          Files.delete(p);
        }
      }
    }
  }
}
