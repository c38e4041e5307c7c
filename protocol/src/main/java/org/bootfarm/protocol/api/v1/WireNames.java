package org.bootfarm.protocol.api.v1;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The shapes of the names that travel in messages and end up in file names on a worker or coordinator:
 * build ids, repo names, component names, sha256 digests. One place, so that what a client may submit and
 * what a worker accepts in an assignment are the same rule; none of them can be a path.
 */
public final class WireNames {
  /** Build ids (ULIDs today) and every other token of an event-bus address ({@link Addresses}). */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** A repo definition's name (its directory under repos/), never "." or "..". */
  public static final Pattern REPO = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._-]{1,100}");
  /** A component's name, e.g. {@code tether}. */
  public static final Pattern COMPONENT = Pattern.compile("[a-z][a-z0-9-]{0,63}");
  /** A lower-case hex sha256. */
  public static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  /** One level of a relative path inside a definition: no separator, not "." or "..", no NUL. */
  private static final Pattern PATH_LEVEL = Pattern.compile("(?!\\.{1,2}$)[^/\\\\\\x00]{1,255}");

  private WireNames() {
  }

  /** Whether {@code path} is a relative path of 1 to 16 such levels, separated by '/'. */
  public static boolean isRelativeFilePath(String path) {
    if (path == null || path.isEmpty() || path.length() > 1024) {
      return false;
    }
    String[] levels = path.split("/", -1);
    if (levels.length > 16) {
      return false;
    }
    for (String level : levels) {
      if (!PATH_LEVEL.matcher(level).matches()) {
        return false;
      }
    }
    return true;
  }

  /** What is wrong with {@code repo} as a definition name, or null when nothing is. */
  public static String repoProblem(String repo) {
    return is(REPO, repo) ? null
        : "repo: '" + repo + "' is not a definition name (letters, digits, '.', '_', '-'; not . or ..)";
  }

  /** Adds to {@code problems} what is wrong with each entry of {@code components} (name to sha256). */
  public static void addComponentProblems(Map<String, String> components, List<String> problems) {
    components.forEach((name, sha256) -> {
      if (!is(COMPONENT, name)) {
        problems.add("components: '" + name + "' is not a component name (lower-case letters, digits, '-')");
      }
      if (!is(SHA256, sha256)) {
        problems.add("components." + name + ": '" + sha256 + "' is not a lower-case hex sha256");
      }
    });
  }

  /** Whether {@code value} is non-null and matches {@code shape} whole. */
  public static boolean is(Pattern shape, String value) {
    return value != null && shape.matcher(value).matches();
  }
}
