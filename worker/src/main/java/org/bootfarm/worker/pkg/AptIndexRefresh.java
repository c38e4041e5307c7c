package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.archive.AtomicOutput;

/**
 * Whether an apt install may take a repo's warm indices as they are, without its own {@code apt-get update}
 * (docs/adr/0061): when a resolution refreshed them from the same sources file less than {@link #FRESH_FOR} ago.
 * A build's resolution refreshes and verifies the indices moments before its base stage installs; a second
 * update would cost a round trip per source (1.6 s for debian-12) and could install from other indices than
 * the ones the build's action-cache key was computed from. The note also names the resolution's memo and its
 * requests, so a bootstrap asking the same takes the files the resolution listed instead of asking apt's solver
 * again ({@link AptResolver#savedListing}). The note lies in the warm cache, beside the indices and outside every
 * image; nothing but the worker writes there.
 */
final class AptIndexRefresh {
  /** How long a resolution's refresh stands for the installs that follow it. */
  static final Duration FRESH_FOR = Duration.ofMinutes(15);

  private AptIndexRefresh() {}

  /**
   * A fresh note: when the indices were refreshed, the memo of the resolution made from them, and the sha256 of
   * each of its transactions' requests ({@link #requestDigest}), in order.
   */
  record Note(Instant refreshed, String memoKey, List<String> requestDigests) {
    /** How long before {@code now} the indices were refreshed. */
    Duration age(Instant now) {
      return Duration.between(refreshed, now);
    }

    /** The index of the resolution's transaction that asked exactly {@code request}, if one did. */
    OptionalInt transactionOf(List<String> request) {
      int i = requestDigests.indexOf(requestDigest(request));
      return i < 0 ? OptionalInt.empty() : OptionalInt.of(i);
    }
  }

  /** The note in a repo's warm cache. */
  static Path note(Path cacheDir) {
    return cacheDir.resolve("apt/lists.refreshed");
  }

  /** The sha256 of an apt request (the arguments of {@code apt-get install}, in order). */
  static String requestDigest(List<String> request) {
    return Sha256.of(String.join("\n", request).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Notes that the warm indices were refreshed from {@code sourcesFile} at {@code when} (and published), and
   * resolved for {@code requests} under {@code memoKey}.
   */
  static void noteRefreshed(Path cacheDir, Path sourcesFile, Instant when, String memoKey,
      List<List<String>> requests) throws IOException {
    Path note = note(cacheDir);
    StringBuilder text = new StringBuilder("sources " + Sha256.of(sourcesFile) + "\nrefreshed " + when.toEpochMilli()
        + "\nmemo " + memoKey + "\n");
    for (List<String> request : requests) {
      text.append("request ").append(requestDigest(request)).append('\n');
    }
    AtomicOutput.writeBytes(note, text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The note, when the warm indices were refreshed from {@code sourcesFile} less than {@link #FRESH_FOR} before
   * {@code now}; empty when they were not, were refreshed from other sources, or the note cannot be read.
   */
  static Optional<Note> fresh(Path cacheDir, Path sourcesFile, Instant now) {
    try {
      List<String> lines = Files.readAllLines(note(cacheDir), StandardCharsets.UTF_8);
      if (lines.size() < 3 || !lines.get(0).equals("sources " + Sha256.of(sourcesFile))
          || !lines.get(1).startsWith("refreshed ") || !lines.get(2).startsWith("memo ")) {
        return Optional.empty();
      }
      List<String> digests = new ArrayList<>();
      for (String line : lines.subList(3, lines.size())) {
        if (!line.startsWith("request ")) {
          return Optional.empty();
        }
        digests.add(line.substring("request ".length()));
      }
      Note note = new Note(Instant.ofEpochMilli(Long.parseLong(lines.get(1).substring("refreshed ".length()))),
          lines.get(2).substring("memo ".length()), List.copyOf(digests));
      Duration age = note.age(now);
      return age.isNegative() || age.compareTo(FRESH_FOR) >= 0 ? Optional.empty() : Optional.of(note);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
