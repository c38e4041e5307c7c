package org.bootfarm.worker.pkg;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;

/**
 * Turns the output of a failed mmdebstrap or apt-get run into the {@link BuildFailure} an operator
 * can act on: INTEGRITY for a hash or signature failure, NETWORK for a source that cannot be
 * reached (naming it), PACKAGE for a package no source has (naming it), TOOL otherwise with the
 * last lines of output. Checked in that order: a source that cannot be reached also makes every
 * package "unknown", and the cause is the source.
 */
final class AptFailure {
  private static final Pattern URL = Pattern.compile("((?:https?|ftp|file|copy|cdrom|tor\\+https?)://\\S+)");
  private static final Pattern UNKNOWN_PACKAGE = Pattern.compile(
      "E: (?:Unable to locate package (\\S+)|Package '([^']+)' has no installation candidate"
          + "|Version '[^']*' for '([^']+)' was not found"
          + "|Couldn't find any package by (?:glob|regex) '([^']+)')");
  private static final List<String> INTEGRITY_MARKERS = List.of(
      "Hash Sum mismatch", "Hashes of expected file", "File has unexpected size",
      "The following signatures couldn't be verified", "The following signatures were invalid",
      "NO_PUBKEY", "is not signed", "BADSIG", "EXPKEYSIG", "Signed file isn't valid",
      "does not match the SHA256");
  private static final List<String> NETWORK_MARKERS = List.of(
      "Could not resolve", "Temporary failure resolving", "Could not connect", "Unable to connect",
      "Connection refused", "Connection timed out", "Connection failed", "No route to host",
      "Network is unreachable", "Failed to fetch", "404  Not Found", "Some index files failed to download");

  private AptFailure() {}

  /** Whether a line of apt or mmdebstrap output reports a problem worth keeping for classification. */
  static boolean isProblemLine(String line) {
    return line.startsWith("E:") || line.startsWith("W:") || line.startsWith("Err:") || line.startsWith("  ")
        && (line.contains("Could not") || line.contains("Hash") || line.contains("Unable") || line.contains("refused"));
  }

  static BuildFailure classify(String tool, int exitCode, List<String> problems, List<String> tail, AptSourcesFile sources) {
    String where = " (apt sources " + sources.file() + ")";
    for (String line : problems) {
      for (String marker : INTEGRITY_MARKERS) {
        if (line.contains(marker)) {
          return new BuildFailure(Kind.INTEGRITY, "apt: integrity check failed" + where + ": " + line.trim()
              + "; nothing from this run was cached. Check the archive keyring (Signed-By) and whether"
              + " a proxy or mirror serves altered files");
        }
      }
    }
    for (int i = 0; i < problems.size(); i++) {
      String line = problems.get(i);
      String next = i + 1 < problems.size() ? problems.get(i + 1) : "";
      for (String marker : NETWORK_MARKERS) {
        if (line.contains(marker) || (line.startsWith("Err:") && next.contains(marker))) {
          java.util.Optional<String> url = firstUrl(line).or(() -> firstUrl(next));
          String source = url.flatMap(u -> sources.uris().stream().filter(u::startsWith).findFirst())
              .orElse(url.orElse(String.join(" ", sources.uris())));
          String reason = line.startsWith("Err:") ? next.trim() : line.trim();
          return new BuildFailure(Kind.NETWORK, "apt: cannot reach apt source " + source + where + ": " + reason
              + ". Check the worker's network and proxy, or the URIs in " + sources.file());
        }
      }
    }
    for (String line : problems) {
      Matcher m = UNKNOWN_PACKAGE.matcher(line);
      if (m.find()) {
        String pkg = firstNonNull(m.group(1), m.group(2), m.group(3), m.group(4));
        return new BuildFailure(Kind.PACKAGE, "apt: package '" + pkg + "' is not available from suite "
            + sources.suite() + where + ": check its name in repo-spec.json (packages or kernel)");
      }
    }
    return new BuildFailure(Kind.TOOL, tool + " failed with exit code " + exitCode + where + "; last lines:\n"
        + String.join("\n", tail));
  }

  private static java.util.Optional<String> firstUrl(String line) {
    Matcher m = URL.matcher(line);
    return m.find() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
  }

  private static String firstNonNull(String... values) {
    for (String v : values) {
      if (v != null) {
        return v;
      }
    }
    return "?";
  }
}
