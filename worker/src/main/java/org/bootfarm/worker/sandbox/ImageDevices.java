package org.bootfarm.worker.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bootfarm.sandbox.Sandbox;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageRoot;

/**
 * The device nodes package scripts chrooted into an image get while a package manager runs
 * ({@link Sandbox#devicesIn}), checked and cleaned up in the image: the
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
  public static final List<String> NODES = Sandbox.IMAGE_DEVICE_NODES;

  private final ImageRoot image;
  private final Set<String> madeBySandbox;

  private ImageDevices(ImageRoot image, Set<String> madeBySandbox) {
    this.image = image;
    this.madeBySandbox = madeBySandbox;
  }

  /**
   * Checks that bubblewrap can make its mount points in the image without following a link the
   * image holds, and notes which nodes the image lacks.
   *
   * @param withProc whether the image's {@code /proc} gets a proc mount too
   * @throws BuildFailure DEFINITION when {@code /dev}, {@code /proc} or one of the nodes is a symbolic
   *     link or {@code /dev} is not a directory, naming it
   */
  public static ImageDevices prepare(ImageRoot image, boolean withProc) throws BuildFailure, IOException {
    refuseLink(image, "/dev", true);
    if (withProc) {
      refuseLink(image, "/proc", true);
    }
    Set<String> missing = new TreeSet<>();
    for (String node : NODES) {
      String path = "/dev/" + node;
      refuseLink(image, path, false);
      if (!image.exists(path)) {
        missing.add(node);
      }
    }
    return new ImageDevices(image, missing);
  }

  /**
   * Deletes the mount points bubblewrap made for nodes the image lacked: only empty regular files,
   * only in a {@code /dev} that is still a directory and not a link (the sandbox has ended; nothing
   * changes the tree while this runs).
   */
  public void removeMountPoints() throws IOException {
    if (image.isSymbolicLink("/dev") || !image.isDirectory("/dev")) {
      return;
    }
    for (String node : madeBySandbox) {
      String path = "/dev/" + node;
      if (!image.isSymbolicLink(path) && image.isRegularFile(path) && image.read(path).length == 0) {
        image.delete(path);
      }
    }
  }

  private static void refuseLink(ImageRoot image, String path, boolean mustBeDirectory)
      throws BuildFailure, IOException {
    if (image.isSymbolicLink(path)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the image's " + path + " is a symbolic link (to "
          + Files.readSymbolicLink(image.locate(path)) + "), made by base.sh or a package: the package manager's"
          + " sandbox binds the host's device nodes and its own /proc there and never follows a link the image"
          + " holds; make " + path + (mustBeDirectory ? " a directory" : " a device node or leave it out"));
    }
    if (mustBeDirectory && image.exists(path) && !image.isDirectory(path)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the image's " + path + " is not a directory, made by"
          + " base.sh or a package: the package manager's sandbox binds device nodes and /proc there; make it a directory");
    }
  }
}
