package org.bootfarm.worker.iso;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
   * The host files of this machine, read at a build's start: each one's sha256 ({@link #digests}, what the action
   * cache's key needs), and the Debian package that shipped those bytes, asked meanwhile on threads of their own
   * ({@link #files} waits for them: only a build that runs or a rebuild's check needs them).
   */
  public static final class Read {
    private final SortedMap<String, String> digests;
    private final Map<String, CompletableFuture<Optional<String>>> packages;

    private Read(SortedMap<String, String> digests, Map<String, CompletableFuture<Optional<String>>> packages) {
      this.digests = digests;
      this.packages = packages;
    }

    /** Path to sha256. */
    public SortedMap<String, String> digests() {
      return digests;
    }

    /** Path to sha256 and package, as the buildinfo records them. */
    public SortedMap<String, HostFile> files() {
      SortedMap<String, HostFile> files = new TreeMap<>();
      digests.forEach((path, sha256) -> files.put(path, new HostFile(sha256, packages.get(path).join().orElse(null))));
      return files;
    }
  }

  /**
   * Hashes each host file an ISO carries and starts asking which package shipped it.
   *
   * @throws BuildFailure TOOL naming the file and the Debian package to install when one is missing
   */
  public static Read read() throws BuildFailure {
    SortedMap<String, String> digests = new TreeMap<>();
    Map<String, CompletableFuture<Optional<String>>> packages = new TreeMap<>();
    for (Source source : SOURCES) {
      IsoWriter.requireTool(source.path(), source.debianPackage());
      packages.put(source.path().toString(), DebianPackages.shippingLater(source.debianPackage(), source.path(), true));
      try {
        digests.put(source.path().toString(), Sha256.of(source.path()));
      } catch (IOException e) {
        throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot read " + source.path() + " (isolinux boot files): "
            + e.getMessage() + "; reinstall the Debian package '" + source.debianPackage() + "'", e);
      }
    }
    return new Read(digests, packages);
  }

  /**
   * Checks that the ISO tree {@code isoTree} holds the {@code recorded} bytes (path to sha256) of each host file.
   *
   * @throws BuildFailure TOOL naming the file, both sha256s and what to do, when one changed during the build
   */
  public static void checkCopied(Path isoTree, Map<String, String> recorded) throws BuildFailure, IOException {
    for (Source source : SOURCES) {
      String expected = recorded.get(source.path().toString());
      Path copy = isoTree.resolve(source.inIso());
      String sha256 = Files.isRegularFile(copy) ? Sha256.of(copy) : "none";
      if (!sha256.equals(expected)) {
        throw new BuildFailure(BuildFailure.Kind.TOOL, source.path() + " changed while the build ran: the build"
            + " recorded sha256 " + expected + " but the ISO holds " + sha256 + " (a package upgrade of '"
            + source.debianPackage() + "'?); build again once it is done");
      }
    }
  }
}
