package org.bootfarm.worker.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bootfarm.worker.BuildFailure;

/**
 * The device nodes package scripts chrooted into an image get while a package manager runs: the
 * host's {@code null}, {@code zero}, {@code full}, {@code random}, {@code urandom} and {@code tty},
 * each bound over {@code <root>/dev/<name>} for that run. The image tree itself is {@code nodev} in
 * the sandbox, so a node the image holds (centos-6.9's base.sh makes {@code /dev/null}) cannot be
 * opened there; the bound host nodes can, and no other device can.
 *
 * <p>Where the image has no such node, bubblewrap makes an empty file as the mount point (and the
 * directories above it). {@link #removeMountPoints} deletes exactly those files after the run, so
 * the image gets no node from the sandbox and is the same on every run; the {@code dev} directory
 * stays (every image's packages own it). A node the image already had stays as it was.
 */
public final class ImageDevices {

  /** The host device nodes bound into the image. */
  public static final List<String> NODES = List.of("null", "zero", "full", "random", "urandom", "tty");

  private final Path root;
  private final Set<String> madeBySandbox;

  private ImageDevices(Path root, Set<String> madeBySandbox) {
    this.root = root;
    this.madeBySandbox = madeBySandbox;
  }

  /**
   * Checks that bubblewrap can make its mount points in {@code root} without following a link the
   * image holds, and notes which nodes the image lacks.
   *
   * @param withProc whether {@code root/proc} gets a proc mount too
   * @throws BuildFailure DEFINITION when {@code /dev}, {@code /proc} or one of the nodes is a symbolic
   *     link or {@code /dev} is not a directory, naming it
   */
  public static ImageDevices prepare(Path root, boolean withProc) throws BuildFailure, IOException {
    Path dev = root.resolve("dev");
    refuseLink(root, dev, true);
    if (withProc) {
      refuseLink(root, root.resolve("proc"), true);
    }
    Set<String> missing = new TreeSet<>();
    for (String node : NODES) {
      Path path = dev.resolve(node);
      refuseLink(root, path, false);
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        missing.add(node);
      }
    }
    return new ImageDevices(root, missing);
  }

  /** The bwrap arguments binding the host's nodes over {@code root/dev/<name>}. */
  static List<String> bindArguments(Path root) {
    List<String> args = new ArrayList<>();
    for (String node : NODES) {
      args.addAll(List.of("--dev-bind", "/dev/" + node, root.toAbsolutePath().resolve("dev").resolve(node).toString()));
    }
    return args;
  }

  /**
   * Deletes the mount points bubblewrap made for nodes the image lacked: only empty regular files,
   * only in a {@code dev} that is still a directory (the sandbox has ended; nothing changes the tree
   * while this runs).
   */
  public void removeMountPoints() throws IOException {
    Path dev = root.resolve("dev");
    if (!Files.isDirectory(dev, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    for (String node : madeBySandbox) {
      Path path = dev.resolve(node);
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attributes.isRegularFile() && attributes.size() == 0) {
        Files.delete(path);
      }
    }
  }

  private static void refuseLink(Path root, Path path, boolean mustBeDirectory) throws BuildFailure, IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    String inImage = "/" + root.relativize(path);
    if (Files.isSymbolicLink(path)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the image's " + inImage + " is a symbolic link (to "
          + Files.readSymbolicLink(path) + "), made by base.sh or a package: the package manager's sandbox binds the"
          + " host's device nodes and its own /proc there and never follows a link the image holds; make "
          + inImage + (mustBeDirectory ? " a directory" : " a device node or leave it out"));
    }
    if (mustBeDirectory && !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the image's " + inImage + " is not a directory, made by"
          + " base.sh or a package: the package manager's sandbox binds device nodes and /proc there; make it a directory");
    }
  }
}
