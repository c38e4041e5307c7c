package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.io.InputStream;
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
  private final Map<String, Relations> relationsByArchiveName;

  private AptPackageIndex(Map<String, Set<String>> sha256ByArchiveName, Map<String, Relations> relations) {
    this.sha256ByArchiveName = sha256ByArchiveName;
    this.relationsByArchiveName = relations;
  }

  /**
   * Reads the Packages indices of {@code listsDir}, keeping only entries whose archive file name
   * (as apt names files in {@code archives/}) is in {@code wanted}.
   */
  public static AptPackageIndex read(Path listsDir, Set<String> wanted) throws IOException {
    return read(listsDir, wanted, false);
  }

  /** As {@link #read}, keeping each wanted package's {@link #relations} too (in the same pass over the indices). */
  static AptPackageIndex readWithRelations(Path listsDir, Set<String> wanted) throws IOException {
    return read(listsDir, wanted, true);
  }

  private static AptPackageIndex read(Path listsDir, Set<String> wanted, boolean withRelations) throws IOException {
    Map<String, Set<String>> found = new HashMap<>();
    Map<String, Relations> relations = new HashMap<>();
    if (!Files.isDirectory(listsDir)) {
      return new AptPackageIndex(found, relations);
    }
    List<Path> indices;
    try (Stream<Path> files = Files.list(listsDir)) {
      indices = files.filter(AptPackageIndex::isPackagesIndex).sorted().toList();
    }
    // the first five fields are the same in both lists
    byte[][] fields = withRelations ? ALL_FIELDS : STANZA_FIELDS;
    for (Path index : indices) {
      read(index, fields, v -> {
        String name = archiveName(v[0], v[1], v[2]);
        if (!wanted.contains(name)) {
          return;
        }
        if (v[3] != null) {
          found.computeIfAbsent(name, k -> new HashSet<>()).add(v[3]);
        }
        if (withRelations) {
          relations.putIfAbsent(name, new Relations(v[0], v[1], v[2], v[5], v[6], v[7], v[8], v[9]));
        }
      });
    }
    return new AptPackageIndex(found, relations);
  }

  /** The relations of each wanted package, by archive name; empty unless read {@link #readWithRelations}. */
  Map<String, Relations> relations() {
    return relationsByArchiveName;
  }

  /** The fields of one package stanza of an index that the apt driver reads; a field the stanza lacks is null. */
  record Stanza(String pkg, String version, String arch, String sha256, String filename) {
    /** {@link #archiveName(String, String, String)} of this package. */
    String archiveName() {
      return AptPackageIndex.archiveName(pkg, version, arch);
    }
  }

  /**
   * Every stanza of a {@code Packages} index (plain, {@code .gz} or {@code .xz}) with a name, version and architecture.
   * Read as bytes, a line at a time, and only the five fields a stanza is made of become strings: debian-12's 50 MB
   * main index took ~500 ms as one string per line on a fresh JVM, and a cold build reads it three times (the
   * resolution's origins, the fetch plan, the harvest).
   */
  static void readStanzas(Path index, Consumer<Stanza> each) throws IOException {
    read(index, STANZA_FIELDS, v -> each.accept(new Stanza(v[0], v[1], v[2], v[3], v[4])));
  }

  /**
   * The fields of one package stanza that say what it needs installed with it ({@link AptEssentialSet}); a field the
   * stanza lacks is null.
   */
  record Relations(String pkg, String version, String arch, String essential, String preDepends, String depends,
      String recommends, String provides) {
    /** {@link #archiveName(String, String, String)} of this package. */
    String archiveName() {
      return AptPackageIndex.archiveName(pkg, version, arch);
    }
  }

  private static final byte[][] STANZA_FIELDS = fields("Package", "Version", "Architecture", "SHA256", "Filename");
  private static final byte[][] ALL_FIELDS = fields("Package", "Version", "Architecture", "SHA256", "Filename",
      "Essential", "Pre-Depends", "Depends", "Recommends", "Provides");

  private static byte[][] fields(String... names) {
    byte[][] fields = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      fields[i] = (names[i] + ": ").getBytes(StandardCharsets.US_ASCII);
    }
    return fields;
  }

  /** Each stanza's values of {@code fields} (the first three: Package, Version, Architecture, which it must have). */
  private static void read(Path index, byte[][] fields, Consumer<String[]> each) throws IOException {
    String name = index.getFileName().toString();
    InputStream raw = Files.newInputStream(index);
    try (InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16)
        : name.endsWith(".xz") ? new XZInputStream(raw) : raw) {
      new StanzaReader(fields, each).read(in);
    }
  }

  /**
   * Splits an index's bytes into lines (ending in LF, CR LF or CR, as {@code BufferedReader.readLine}) where they lie
   * in its buffer, and lines into stanzas; a line becomes a string only when it is one of the fields asked for.
   */
  private static final class StanzaReader {
    private final byte[][] fields;
    private final boolean[] firstBytes = new boolean[256];
    private final Consumer<String[]> each;
    private final String[] values;

    StanzaReader(byte[][] fields, Consumer<String[]> each) {
      this.fields = fields;
      this.each = each;
      this.values = new String[fields.length];
      for (byte[] field : fields) {
        firstBytes[field[0] & 0xff] = true;
      }
    }

    void read(InputStream in) throws IOException {
      byte[] buffer = new byte[1 << 20];
      int filled = 0;
      boolean skipLineFeed = false; // the previous buffer ended in the CR of a CR LF
      while (true) {
        int n = in.read(buffer, filled, buffer.length - filled);
        if (n < 0) {
          if (filled > 0) {
            line(buffer, 0, filled);
          }
          endStanza();
          return;
        }
        int end = filled + n;
        int start = 0;
        if (skipLineFeed && end > 0 && buffer[0] == '\n') {
          start = 1;
        }
        skipLineFeed = false;
        for (int i = start; i < end; i++) {
          byte b = buffer[i];
          if (b == '\n' || b == '\r') {
            line(buffer, start, i);
            if (b == '\r') {
              if (i + 1 < end) {
                if (buffer[i + 1] == '\n') {
                  i++;
                }
              } else {
                skipLineFeed = true;
              }
            }
            start = i + 1;
          }
        }
        filled = end - start;
        if (filled == buffer.length) {
          buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2); // one line longer than the buffer
        } else {
          System.arraycopy(buffer, start, buffer, 0, filled);
        }
      }
    }

    private void line(byte[] bytes, int from, int to) {
      if (from == to) {
        endStanza();
        return;
      }
      if (!firstBytes[bytes[from] & 0xff]) {
        return;
      }
      for (int f = 0; f < fields.length; f++) {
        byte[] field = fields[f];
        if (to - from >= field.length && java.util.Arrays.equals(bytes, from, from + field.length, field, 0, field.length)) {
          values[f] = new String(bytes, from + field.length, to - from - field.length, StandardCharsets.UTF_8).trim();
          return;
        }
      }
    }

    private void endStanza() {
      if (values[0] != null && values[1] != null && values[2] != null) {
        each.accept(values.clone());
      }
      java.util.Arrays.fill(values, null);
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
