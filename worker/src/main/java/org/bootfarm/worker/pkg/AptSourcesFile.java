package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An apt sources file read for what the apt driver needs from it: the suite to bootstrap and the
 * source URIs to name in errors. Both formats apt accepts are read: deb822 ({@code *.sources},
 * stanzas of {@code Types/URIs/Suites/Components}) and one-line ({@code deb [opts] URI SUITE COMP...}).
 *
 * <p>The suite is the first suite of the first enabled {@code deb} entry (for the worker's Debian 12
 * sources that is {@code bookworm}; {@code bookworm-updates} and {@code bookworm-security} follow it).
 * mmdebstrap uses it to pick the index whose {@code Essential: yes} packages form the base.
 *
 * @param file  the sources file
 * @param suite the suite to bootstrap
 * @param uris  every URI of an enabled {@code deb} entry, in file order
 */
public record AptSourcesFile(Path file, String suite, List<String> uris) {

  public AptSourcesFile {
    uris = List.copyOf(uris);
  }

  /**
   * Reads a sources file.
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException when it has no enabled {@code deb} entry (the message names the file)
   */
  public static AptSourcesFile read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    boolean deb822 = file.getFileName().toString().endsWith(".sources")
        || lines.stream().anyMatch(l -> l.regionMatches(true, 0, "Types:", 0, 6));
    List<String[]> entries = deb822 ? deb822Entries(lines) : oneLineEntries(lines);
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("apt sources file " + file
          + " has no enabled 'deb' entry with a URI and a suite: add one (deb822 'Types: deb' stanza"
          + " with URIs and Suites, or a 'deb URI SUITE COMPONENT' line)");
    }
    List<String> uris = new ArrayList<>();
    for (String[] e : entries) {
      if (!uris.contains(e[0])) {
        uris.add(e[0]);
      }
    }
    return new AptSourcesFile(file, entries.get(0)[1], uris);
  }

  /** {URI, first suite} for each URI of each enabled deb stanza. */
  private static List<String[]> deb822Entries(List<String> lines) {
    List<String[]> entries = new ArrayList<>();
    Map<String, String> stanza = new LinkedHashMap<>();
    String lastKey = null;
    List<String> padded = new ArrayList<>(lines);
    padded.add("");
    for (String line : padded) {
      if (line.startsWith("#")) {
        continue;
      }
      if (line.isBlank()) {
        addDeb822Stanza(stanza, entries);
        stanza.clear();
        lastKey = null;
      } else if (Character.isWhitespace(line.charAt(0)) && lastKey != null) {
        stanza.merge(lastKey, " " + line.trim(), String::concat);
      } else {
        int colon = line.indexOf(':');
        if (colon > 0) {
          lastKey = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
          stanza.put(lastKey, line.substring(colon + 1).trim());
        }
      }
    }
    return entries;
  }

  private static void addDeb822Stanza(Map<String, String> stanza, List<String[]> entries) {
    if (stanza.isEmpty() || "no".equalsIgnoreCase(stanza.getOrDefault("enabled", "yes").trim())) {
      return;
    }
    Set<String> types = Set.of(stanza.getOrDefault("types", "").trim().split("\\s+"));
    String[] suites = stanza.getOrDefault("suites", "").trim().split("\\s+");
    if (!types.contains("deb") || suites[0].isEmpty()) {
      return;
    }
    for (String uri : stanza.getOrDefault("uris", "").trim().split("\\s+")) {
      if (!uri.isEmpty()) {
        entries.add(new String[] {uri, suites[0]});
      }
    }
  }

  /** {URI, suite} for each {@code deb} line. */
  private static List<String[]> oneLineEntries(List<String> lines) {
    List<String[]> entries = new ArrayList<>();
    for (String raw : lines) {
      String line = raw.replaceAll("#.*", "").trim();
      if (!line.startsWith("deb ") && !line.startsWith("deb\t")) {
        continue;
      }
      // drop the [option=value ...] block
      String rest = line.substring(3).trim().replaceFirst("^\\[[^]]*]\\s*", "");
      String[] words = rest.split("\\s+");
      if (words.length >= 2) {
        entries.add(new String[] {words[0], words[1]});
      }
    }
    return entries;
  }
}
