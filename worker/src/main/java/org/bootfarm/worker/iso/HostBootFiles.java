package org.bootfarm.worker.iso;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.HostFile;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.process.DebianPackages;

/**
 * The files of this machine that every ISO carries as they are: isolinux's boot sector and core module, which
 * {@link IsoWriter} copies from Debian's packages. They are inputs like the packages of the image, so a build records
 * each ({@link #read}: path, sha256, the Debian package and version whose bytes they are) in its buildinfo and its
 * action-cache key, and checks after the build that the ISO tree holds those bytes ({@link #checkCopied}): a file
 * upgraded or replaced meanwhile would make a record that names other bytes than the ISO's (ADR 0067).
 */
public final class HostBootFiles {
  /** One host file: where it is, the Debian package that ships it, and its path in the ISO tree. */
  record Source(Path path, String debianPackage, String inIso) {}

  static final List<Source> SOURCES = List.of(
      new Source(IsoWriter.ISOLINUX_BIN, "isolinux", "isolinux/isolinux.bin"),
      new Source(IsoWriter.LDLINUX_C32, "syslinux-common", "isolinux/ldlinux.c32"));

  private HostBootFiles() {}

  /**
   * Each host file an ISO carries, by path, with its sha256 and the package that shipped those bytes.
   *
   * @throws BuildFailure TOOL naming the file and the Debian package to install when one is missing
   */
  public static SortedMap<String, HostFile> read() throws BuildFailure {
    SortedMap<String, HostFile> files = new TreeMap<>();
    for (Source source : SOURCES) {
      IsoWriter.requireTool(source.path(), source.debianPackage());
      try {
        files.put(source.path().toString(), new HostFile(Sha256.of(source.path()),
            DebianPackages.shipping(source.debianPackage(), source.path(), true).orElse(null)));
      } catch (IOException e) {
        throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot read " + source.path() + " (isolinux boot files): "
            + e.getMessage() + "; reinstall the Debian package '" + source.debianPackage() + "'", e);
      }
    }
    return files;
  }

  /**
   * Checks that the ISO tree {@code isoTree} holds the {@code recorded} bytes of each host file.
   *
   * @throws BuildFailure TOOL naming the file, both sha256s and what to do, when one changed during the build
   */
  public static void checkCopied(Path isoTree, SortedMap<String, HostFile> recorded) throws BuildFailure, IOException {
    for (Source source : SOURCES) {
      HostFile expected = recorded.get(source.path().toString());
      Path copy = isoTree.resolve(source.inIso());
      String sha256 = Files.isRegularFile(copy) ? Sha256.of(copy) : "none";
      if (expected == null || !expected.sha256().equals(sha256)) {
        throw new BuildFailure(BuildFailure.Kind.TOOL, source.path() + " changed while the build ran: the build"
            + " recorded sha256 " + (expected == null ? "none" : expected.sha256()) + " but the ISO holds " + sha256
            + " (a package upgrade of '" + source.debianPackage() + "'?); build again once it is done");
      }
    }
  }
}
