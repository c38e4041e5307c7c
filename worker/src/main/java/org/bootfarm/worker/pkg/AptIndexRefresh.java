package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.Sha256;

/**
 * Whether an apt install may take a repo's warm indices as they are, without its own {@code apt-get update}
 * (docs/adr/0061): when a resolution refreshed them from the same sources file less than {@link #FRESH_FOR} ago.
 * A build's resolution refreshes and verifies the indices moments before its base stage installs; a second
 * update would cost a round trip per source (1.6 s for debian-12) and could install from other indices than
 * the ones the build's action-cache key was computed from. The note lies in the warm cache, beside the indices
 * and outside every image; nothing but the worker writes there.
 */
final class AptIndexRefresh {
  /** How long a resolution's refresh stands for the installs that follow it. */
  static final Duration FRESH_FOR = Duration.ofMinutes(15);

  private AptIndexRefresh() {}

  /** The note in a repo's warm cache: the sha256 of the sources file, then the time of the refresh. */
  static Path note(Path cacheDir) {
    return cacheDir.resolve("apt/lists.refreshed");
  }

  /** Notes that the warm indices were refreshed from {@code sourcesFile} at {@code when} (and published). */
  static void noteRefreshed(Path cacheDir, Path sourcesFile, Instant when) throws IOException {
    Path note = note(cacheDir);
    Path partial = note.resolveSibling(note.getFileName() + ".partial");
    Files.writeString(partial, "sources " + Sha256.of(sourcesFile) + "\nrefreshed " + when.toEpochMilli() + "\n");
    Files.move(partial, note, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * How long ago the warm indices were refreshed from {@code sourcesFile}, when that was less than
   * {@link #FRESH_FOR} before {@code now}; empty when they were not, were refreshed from other sources, or the note
   * cannot be read.
   */
  static Optional<Duration> freshAge(Path cacheDir, Path sourcesFile, Instant now) {
    try {
      List<String> lines = Files.readAllLines(note(cacheDir), StandardCharsets.UTF_8);
      if (lines.size() != 2 || !lines.get(0).equals("sources " + Sha256.of(sourcesFile))
          || !lines.get(1).startsWith("refreshed ")) {
        return Optional.empty();
      }
      Duration age = Duration.between(Instant.ofEpochMilli(Long.parseLong(lines.get(1).substring(10))), now);
      return age.isNegative() || age.compareTo(FRESH_FOR) >= 0 ? Optional.empty() : Optional.of(age);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
