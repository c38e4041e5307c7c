package org.bootfarm.worker.pkg;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The SHA256 of package files as the signed apt metadata states them: read from the
 * {@code *_Packages} indices in an apt lists directory, which apt only keeps after checking them
 * against the hashes in an {@code InRelease} file whose signature it verified. The apt driver
 * checks every package file against it before the file may enter the warm cache, because apt
 * itself accepts a package file already present in its archives directory on its size alone.
 */
public final class AptPackageIndex {
  private final Map<String, Set<String>> sha256ByArchiveName;

  private AptPackageIndex(Map<String, Set<String>> sha256ByArchiveName) {
    this.sha256ByArchiveName = sha256ByArchiveName;
  }

  /**
   * Reads the Packages indices of {@code listsDir}, keeping only entries whose archive file name
   * (as apt names files in {@code archives/}) is in {@code wanted}.
   */
  public static AptPackageIndex read(Path listsDir, Set<String> wanted) throws IOException {
    Map<String, Set<String>> found = new HashMap<>();
    if (!Files.isDirectory(listsDir)) {
      return new AptPackageIndex(found);
    }
    List<Path> indices;
    try (Stream<Path> files = Files.list(listsDir)) {
      indices = files.filter(AptPackageIndex::isPackagesIndex).sorted().toList();
    }
    for (Path index : indices) {
      readIndex(index, wanted, found);
    }
    return new AptPackageIndex(found);
  }

  private static void readIndex(Path index, Set<String> wanted, Map<String, Set<String>> found)
      throws IOException {
    readStanzas(index, stanza -> {
      if (stanza.sha256() != null && wanted.contains(stanza.archiveName())) {
        found.computeIfAbsent(stanza.archiveName(), k -> new HashSet<>()).add(stanza.sha256());
      }
    });
  }

  /** The fields of one package stanza of an index that the apt driver reads; a field the stanza lacks is null. */
  record Stanza(String pkg, String version, String arch, String sha256, String filename) {
    /** {@link #archiveName(String, String, String)} of this package. */
    String archiveName() {
      return AptPackageIndex.archiveName(pkg, version, arch);
    }
  }

  /** Every stanza of a {@code Packages} index (plain, {@code .gz} or {@code .xz}) with a name, version and architecture. */
  static void readStanzas(Path index, Consumer<Stanza> each) throws IOException {
    String name = index.getFileName().toString();
    InputStream raw = Files.newInputStream(index);
    InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16)
        : name.endsWith(".xz") ? new XZInputStream(raw) : raw;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      String pkg = null;
      String version = null;
      String arch = null;
      String sha256 = null;
      String filename = null;
      for (String line = reader.readLine(); ; line = reader.readLine()) {
        if (line == null || line.isEmpty()) {
          if (pkg != null && version != null && arch != null) {
            each.accept(new Stanza(pkg, version, arch, sha256, filename));
          }
          pkg = version = arch = sha256 = filename = null;
          if (line == null) {
            break;
          }
        } else if (line.startsWith("Package: ")) {
          pkg = line.substring(9).trim();
        } else if (line.startsWith("Version: ")) {
          version = line.substring(9).trim();
        } else if (line.startsWith("Architecture: ")) {
          arch = line.substring(14).trim();
        } else if (line.startsWith("SHA256: ")) {
          sha256 = line.substring(8).trim();
        } else if (line.startsWith("Filename: ")) {
          filename = line.substring(10).trim();
        }
      }
    }
  }

  /** Whether {@code file} is a {@code Packages} index as apt names them in its lists directory. */
  static boolean isPackagesIndex(Path file) {
    return file.getFileName().toString().matches(".*_Packages(\\.(gz|xz))?");
  }

  /** The file name apt gives a package in its archives directory: {@code name_version_arch.deb}, ':' as %3a. */
  public static String archiveName(String pkg, String version, String arch) {
    return quote(pkg) + "_" + quote(version) + "_" + arch + ".deb";
  }

  private static String quote(String s) {
    return s.replace("%", "%25").replace("_", "%5f").replace(":", "%3a");
  }

  /** Whether the signed metadata lists {@code sha256} for the package file named {@code archiveName}. */
  public boolean vouchesFor(String archiveName, String sha256) {
    return sha256ByArchiveName.getOrDefault(archiveName, Set.of()).contains(sha256);
  }

  /**
   * The one SHA256 the signed metadata states for the package file named {@code archiveName}; empty when it states
   * none, or several (sources that disagree: apt then decides which one it fetched).
   */
  public java.util.Optional<String> sha256(String archiveName) {
    Set<String> stated = sha256ByArchiveName.getOrDefault(archiveName, Set.of());
    return stated.size() == 1 ? java.util.Optional.of(stated.iterator().next()) : java.util.Optional.empty();
  }

  /** Whether the metadata mentions the package file at all. */
  public boolean knows(String archiveName) {
    return sha256ByArchiveName.containsKey(archiveName);
  }
}
