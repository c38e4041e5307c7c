package org.bootfarm.worker.pkg;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code gpgkey=} references of a yum {@code .repo} file, as dnf reads them: the value of each {@code gpgkey=}
 * line and of the indented lines that continue it, split on whitespace and commas, in order. One reader for the
 * pinned repository of a rebuild ({@link DnfPinnedRepository}) and the fetch's check that every key is a local file
 * ({@link DnfPrefetch}).
 */
final class RepoFileKeys {
  private static final Pattern GPGKEY = Pattern.compile("^\\s*gpgkey\\s*=(.*)$");

  private RepoFileKeys() {}

  /** Every reference of {@code lines} (one {@code .repo} file's), in order, repeats kept. */
  static List<String> references(List<String> lines) {
    List<String> references = new ArrayList<>();
    boolean inKey = false;
    for (String line : lines) {
      Matcher key = GPGKEY.matcher(line);
      String value;
      if (key.matches()) {
        inKey = true;
        value = key.group(1);
      } else if (inKey && !line.isBlank() && Character.isWhitespace(line.charAt(0))) {
        value = line; // a continuation line of gpgkey=
      } else {
        inKey = false;
        continue;
      }
      for (String token : value.trim().split("[\\s,]+")) {
        if (!token.isEmpty()) {
          references.add(token);
        }
      }
    }
    return references;
  }
}
