package org.bootfarm.cli.monitoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The alerting rules of deploy/prometheus/alerts.yml as the tests need them: name, expression, severity and
 * whether summary and description are there. Reads the file's own layout ({@code - alert:} items whose
 * {@code expr:} is one line or a {@code >-} block); promtool checks the YAML itself.
 */
record AlertRules(List<Rule> rules) {
  /** One alerting rule. */
  record Rule(String name, String expr, String severity, boolean hasSummary, boolean hasDescription) {}

  private static final Pattern ALERT = Pattern.compile("^(\\s*)- alert:\\s*(\\S+)\\s*$");
  private static final Pattern KEY = Pattern.compile("^(\\s*)([a-z_]+):\\s*(.*)$");

  static AlertRules read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher alert = ALERT.matcher(lines.get(i));
      if (!alert.matches()) {
        continue;
      }
      int itemIndent = alert.group(1).length();
      String name = alert.group(2);
      String expr = null;
      String severity = null;
      boolean summary = false;
      boolean description = false;
      int j = i + 1;
      for (; j < lines.size(); j++) {
        String line = lines.get(j);
        if (line.isBlank() || line.trim().startsWith("#")) {
          continue;
        }
        int indent = line.length() - line.stripLeading().length();
        if (indent <= itemIndent) {
          break;
        }
        Matcher key = KEY.matcher(line);
        if (!key.matches()) {
          continue;
        }
        switch (key.group(2)) {
          case "expr" -> {
            if (key.group(3).startsWith(">") || key.group(3).startsWith("|")) {
              int keyIndent = key.group(1).length();
              StringBuilder block = new StringBuilder();
              while (j + 1 < lines.size() && (lines.get(j + 1).isBlank()
                  || lines.get(j + 1).length() - lines.get(j + 1).stripLeading().length() > keyIndent)) {
                j++;
                block.append(lines.get(j).trim()).append(' ');
              }
              expr = block.toString().trim();
            } else {
              expr = key.group(3).trim();
            }
          }
          case "severity" -> severity = key.group(3).trim();
          case "summary" -> summary = !key.group(3).isBlank();
          case "description" -> description = !key.group(3).isBlank();
          default -> { }
        }
      }
      if (expr == null || expr.isEmpty()) {
        throw new IllegalStateException(file + ": alert " + name + " has no expr");
      }
      rules.add(new Rule(name, expr, severity, summary, description));
      i = j - 1;
    }
    return new AlertRules(List.copyOf(rules));
  }
}
