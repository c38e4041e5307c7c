package org.bootfarm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.bootfarm.protocol.Sha256;

/** Names the entries that differ between two stage archives, so a failing reproducibility test says why. */
final class StageArchiveDiff {
  private StageArchiveDiff() {}

  static String describe(Path a, Path b) throws IOException {
    Map<String, String> left = entries(a);
    Map<String, String> right = entries(b);
    StringBuilder out = new StringBuilder();
    for (String path : new TreeSet<>(left.keySet()) {{ addAll(right.keySet()); }}) {
      String l = left.get(path);
      String r = right.get(path);
      if (l == null || !l.equals(r)) {
        out.append(path).append("\n  a: ").append(l).append("\n  b: ").append(r).append('\n');
      }
    }
    return out.length() == 0 ? "(entries equal; the archives differ in framing)" : out.toString();
  }

  private static Map<String, String> entries(Path archive) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(archive));
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        String content = e.isFile() ? Sha256.of(tar.readAllBytes()) : e.getLinkName();
        entries.put(e.getName(), String.format("mode=%o uid=%d gid=%d size=%d mtime=%d dev=%d,%d %s",
            e.getMode(), e.getLongUserId(), e.getLongGroupId(), e.getSize(), e.getModTime().getTime() / 1000,
            e.getDevMajor(), e.getDevMinor(), content));
      }
    }
    return entries;
  }
}
