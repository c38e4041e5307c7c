package org.bootfarm.protocol.repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The entries of an apt sources file in either format apt reads: deb822 ({@code *.sources}, stanzas of
 * {@code Types/URIs/Suites/Components} and options such as {@code Signed-By}) and one-line
 * ({@code deb [opt=value ...] URI SUITE COMPONENT...}). The definition loader reads it for the options
 * that switch signature checking off ({@link #INSECURE_OPTIONS}); the worker's apt driver for the suite
 * and URIs it bootstraps from. Options are kept under their one-line names, lower-case
 * ({@code Allow-Insecure: yes} and {@code [allow-insecure=yes]} are both {@code allow-insecure}).
 *
 * @param file    the file read
 * @param entries every entry, enabled or not, in file order
 */
public record AptSources(Path file, List<Entry> entries) {

  /**
   * The options with which apt installs packages whose origin it has not verified: {@code trusted}
   * (the source's indices need no valid signature at all), {@code allow-insecure} (unsigned
   * repositories), {@code allow-weak} (weak signatures, e.g. SHA-1) and
   * {@code allow-downgrade-to-insecure} (a signed source that turns unsigned is accepted).
   */
  public static final List<String> INSECURE_OPTIONS =
      List.of("trusted", "allow-insecure", "allow-weak", "allow-downgrade-to-insecure");

  /** The boolean words apt reads as false (its StringToBool); any other value of such an option is true. */
  private static final List<String> FALSE_WORDS = List.of("no", "false", "without", "off", "disable", "0");

  public AptSources {
    entries = List.copyOf(entries);
  }

  /**
   * One entry: a one-line {@code deb}/{@code deb-src} line, or a deb822 stanza.
   *
   * @param line    the 1-based line it starts on
   * @param enabled false for a stanza with {@code Enabled: no}
   * @param options option name (one-line spelling, lower-case) to value, e.g. {@code signed-by}
   */
  public record Entry(int line, boolean enabled, List<String> types, List<String> uris, List<String> suites,
      List<String> components, Map<String, String> options) {

    public Entry {
      types = List.copyOf(types);
      uris = List.copyOf(uris);
      suites = List.copyOf(suites);
      components = List.copyOf(components);
      options = Map.copyOf(options);
    }

    /** The {@link #INSECURE_OPTIONS} this entry switches on, as written ({@code trusted=yes}), in that order. */
    public List<String> insecureOptions() {
      List<String> on = new ArrayList<>();
      for (String option : INSECURE_OPTIONS) {
        String value = options.get(option);
        if (value != null && !FALSE_WORDS.contains(value.strip().toLowerCase(Locale.ROOT))) {
          on.add(option + "=" + value.strip());
        }
      }
      return on;
    }
  }

  /**
   * Reads {@code file}: deb822 when its name ends in {@code .sources} or a line starts with
   * {@code Types:}, one-line otherwise. Lines that are neither an entry nor a field are skipped, as
   * apt's own reader reports them; what is read is what apt would act on.
   */
  public static AptSources read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    boolean deb822 = file.getFileName().toString().endsWith(".sources")
        || lines.stream().anyMatch(l -> l.regionMatches(true, 0, "Types:", 0, 6));
    return new AptSources(file, deb822 ? deb822(lines) : oneLine(lines));
  }

  private static List<Entry> deb822(List<String> lines) {
    List<Entry> entries = new ArrayList<>();
    Map<String, String> stanza = new LinkedHashMap<>();
    int start = 0;
    String lastKey = null;
    List<String> padded = new ArrayList<>(lines);
    padded.add("");
    for (int i = 0; i < padded.size(); i++) {
      String line = padded.get(i);
      if (line.startsWith("#")) {
        continue;
      }
      if (line.isBlank()) {
        if (!stanza.isEmpty()) {
          entries.add(stanzaEntry(start, stanza));
        }
        stanza.clear();
        lastKey = null;
      } else if (Character.isWhitespace(line.charAt(0)) && lastKey != null) {
        stanza.merge(lastKey, " " + line.trim(), String::concat);
      } else {
        int colon = line.indexOf(':');
        if (colon > 0) {
          if (stanza.isEmpty()) {
            start = i + 1;
          }
          lastKey = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
          stanza.put(lastKey, line.substring(colon + 1).trim());
        }
      }
    }
    return entries;
  }

  private static Entry stanzaEntry(int line, Map<String, String> stanza) {
    Map<String, String> options = new LinkedHashMap<>(stanza);
    for (String field : List.of("types", "uris", "suites", "components", "enabled")) {
      options.remove(field);
    }
    boolean enabled = !FALSE_WORDS.contains(stanza.getOrDefault("enabled", "yes").trim().toLowerCase(Locale.ROOT));
    return new Entry(line, enabled, words(stanza.get("types")), words(stanza.get("uris")),
        words(stanza.get("suites")), words(stanza.get("components")), options);
  }

  private static List<Entry> oneLine(List<String> lines) {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).replaceAll("#.*", "").trim();
      String[] typeAndRest = line.split("\\s+", 2);
      if (!typeAndRest[0].equals("deb") && !typeAndRest[0].equals("deb-src")) {
        continue;
      }
      String rest = typeAndRest.length > 1 ? typeAndRest[1].trim() : "";
      Map<String, String> options = new LinkedHashMap<>();
      if (rest.startsWith("[")) {
        int close = rest.indexOf(']');
        String block = close < 0 ? rest.substring(1) : rest.substring(1, close);
        rest = close < 0 ? "" : rest.substring(close + 1).trim();
        for (String option : words(block)) {
          int equals = option.indexOf('=');
          if (equals > 0) {
            // arch+=amd64 and arch-=i386 add to and take from a list: kept under the option's own name
            options.put(option.substring(0, equals).replaceFirst("[+-]$", "").toLowerCase(Locale.ROOT),
                option.substring(equals + 1));
          }
        }
      }
      List<String> words = words(rest);
      entries.add(new Entry(i + 1, true, List.of(typeAndRest[0]), words.isEmpty() ? List.of() : words.subList(0, 1),
          words.size() < 2 ? List.of() : words.subList(1, 2), words.size() < 3 ? List.of() : words.subList(2,
          words.size()), options));
    }
    return entries;
  }

  private static List<String> words(String text) {
    return text == null || text.isBlank() ? List.of() : Arrays.asList(text.trim().split("\\s+"));
  }
}
