package org.bootfarm.cli.monitoring;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, found lexically: string literals, label matchers
 * ({@code {...}}), ranges ({@code [...]}) and grouping label lists ({@code by (...)}, {@code on (...)}, ...)
 * are removed, then every identifier that is not a function call, keyword or number is a metric name.
 * Syntax itself is promtool's job; this only has to find names in expressions promtool accepts.
 */
final class PromqlNames {
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*]");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern TOKEN = Pattern.compile(
      "(\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan", "atan2");

  private PromqlNames() {}

  static Set<String> selected(String expr) {
    String s = STRING.matcher(expr).replaceAll(" ");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    s = GROUPING.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher token = TOKEN.matcher(s);
    while (token.find()) {
      String identifier = token.group(2);
      boolean call = token.group(3) != null;
      if (identifier != null && !call && !KEYWORDS.contains(identifier.toLowerCase())) {
        names.add(identifier);
      }
    }
    return names;
  }
}
