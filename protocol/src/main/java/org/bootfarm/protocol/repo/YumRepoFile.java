package org.bootfarm.protocol.repo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A yum/dnf {@code .repo} file read as INI: {@code [section]} headers, {@code key=value} lines,
 * {@code #} and {@code ;} comments, and indented continuation lines (dnf's multi-line
 * {@code baseurl}/{@code gpgkey}). Lines it cannot read are kept as problems, not exceptions.
 */
final class YumRepoFile {

  /** One {@code [section]} with its keys (lower-cased) and the line each was defined on. */
  record Section(String name, int line, Map<String, String> values) {}

  /** A line that is not INI, with its 1-based number. */
  record BadLine(int line, String text, String reason) {}

  private final List<Section> sections = new ArrayList<>();
  private final List<BadLine> badLines = new ArrayList<>();

  private YumRepoFile() {}

  static YumRepoFile parse(String text) {
    YumRepoFile file = new YumRepoFile();
    Map<String, String> current = null;
    String lastKey = null;
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String raw = lines[i];
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        lastKey = line.isEmpty() ? null : lastKey;
        continue;
      }
      if (line.startsWith("[")) {
        if (!line.endsWith("]") || line.length() < 3) {
          file.badLines.add(new BadLine(number, raw, "a section header must look like [repo-id]"));
          current = null;
        } else {
          String name = line.substring(1, line.length() - 1).strip();
          current = new LinkedHashMap<>();
          file.sections.add(new Section(name, number, current));
        }
        lastKey = null;
        continue;
      }
      boolean indented = Character.isWhitespace(raw.charAt(0));
      if (indented && current != null && lastKey != null && !line.contains("=")) {
        current.merge(lastKey, line, (a, b) -> a + " " + b);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        file.badLines.add(new BadLine(number, raw, "expected key=value"));
        continue;
      }
      if (current == null) {
        file.badLines.add(new BadLine(number, raw, "key outside any [section]: put it under a [repo-id] header"));
        continue;
      }
      lastKey = line.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
      current.put(lastKey, line.substring(eq + 1).strip());
    }
    return file;
  }

  List<Section> sections() {
    return sections;
  }

  List<BadLine> badLines() {
    return badLines;
  }
}
