package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.protocol.repo.AptSources;

/**
 * An apt sources file read for what the apt driver needs from it: the suite to bootstrap, the
 * source URIs to name in errors, and the entries that switch signature checking off. Both formats apt
 * accepts are read ({@link AptSources}): deb822 ({@code *.sources}, stanzas of
 * {@code Types/URIs/Suites/Components}) and one-line ({@code deb [opts] URI SUITE COMP...}).
 *
 * <p>The suite is the first suite of the first enabled {@code deb} entry (for the worker's Debian 12
 * sources that is {@code bookworm}; {@code bookworm-updates} and {@code bookworm-security} follow it).
 * mmdebstrap uses it to pick the index whose {@code Essential: yes} packages form the base.
 *
 * @param file     the sources file
 * @param suite    the suite to bootstrap
 * @param uris     every URI of an enabled {@code deb} entry, in file order
 * @param insecure the enabled entries with an option of {@link AptSources#INSECURE_OPTIONS} on
 *                 ({@code [trusted=yes]}, {@code Trusted: yes}, ...): refused unless the repo was
 *                 allowed unsigned
 */
public record AptSourcesFile(Path file, String suite, List<String> uris, List<AptSources.Entry> insecure) {

  public AptSourcesFile {
    uris = List.copyOf(uris);
    insecure = List.copyOf(insecure);
  }

  /**
   * Reads a sources file.
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException when it has no enabled {@code deb} entry (the message names the file)
   */
  public static AptSourcesFile read(Path file) throws IOException {
    AptSources sources = AptSources.read(file);
    String suite = null;
    List<String> uris = new ArrayList<>();
    List<AptSources.Entry> insecure = new ArrayList<>();
    for (AptSources.Entry entry : sources.entries()) {
      if (!entry.enabled()) {
        continue;
      }
      if (!entry.insecureOptions().isEmpty()) {
        insecure.add(entry);
      }
      if (!entry.types().contains("deb") || entry.suites().isEmpty() || entry.uris().isEmpty()) {
        continue;
      }
      suite = suite == null ? entry.suites().get(0) : suite;
      entry.uris().stream().filter(uri -> !uris.contains(uri)).forEach(uris::add);
    }
    if (suite == null) {
      throw new IllegalArgumentException("apt sources file " + file
          + " has no enabled 'deb' entry with a URI and a suite: add one (deb822 'Types: deb' stanza"
          + " with URIs and Suites, or a 'deb URI SUITE COMPONENT' line)");
    }
    return new AptSourcesFile(file, suite, uris, insecure);
  }

  /**
   * What the {@link #insecure} entries switch off, one per entry, e.g. {@code line 3: trusted=yes}
   * (deb822: the line its stanza starts on).
   */
  public List<String> describeInsecure() {
    return insecure.stream().map(e -> "line " + e.line() + ": " + String.join(" ", e.insecureOptions())).toList();
  }
}
