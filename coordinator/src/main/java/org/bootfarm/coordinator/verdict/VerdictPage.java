package org.bootfarm.coordinator.verdict;

import java.util.List;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.Verdict.FileDifference;
import org.bootfarm.protocol.api.v1.Verdict.SidePair;

/**
 * One verdict as a small self-contained HTML page (inline style, no scripts, no external links):
 * the outcome, the artifact and stage hashes side by side, the first differing stage, the table of
 * differing files, their unified diffs and diffoscope's report in {@code <pre>}. Every value from a
 * build (paths, errors, diffs) is HTML-escaped, so a file named {@code <script>} shows as text.
 * The nightly report links to this page.
 */
public final class VerdictPage {

  private static final String STYLE = String.join("\n",
      "body{font-family:sans-serif;margin:1.5em;color:#222}",
      "table{border-collapse:collapse;margin:.5em 0 1.5em}",
      "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}",
      "td.hash{font-family:monospace;font-size:.85em}",
      "tr.differs td{background:#fde8e8}",
      ".outcome{display:inline-block;padding:.2em .6em;border-radius:.3em;color:#fff;font-weight:bold}",
      ".REPRODUCIBLE{background:#2e7d32}.UNREPRODUCIBLE{background:#c62828}.FAILED{background:#6d4c41}",
      "pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em;overflow-x:auto;font-size:.85em}");

  private VerdictPage() {}

  /** The page of a verdict. */
  public static String render(Verdict verdict) {
    StringBuilder html = new StringBuilder();
    String title = "Verdict " + verdict.left() + " / " + verdict.right();
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(escape(title)).append("</title>\n<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n");
    html.append("<h1>").append(escape(verdict.repo())).append(" · ").append(escape(verdict.target()))
        .append("</h1>\n");
    html.append("<p><span class=\"outcome ").append(verdict.outcome().name()).append("\">")
        .append(verdict.outcome().name()).append("</span> left build <code>").append(escape(verdict.left()))
        .append("</code>, right build <code>").append(escape(verdict.right())).append("</code></p>\n");
    if (verdict.error() != null) {
      html.append("<p class=\"error\"><strong>Failed:</strong> ").append(escape(verdict.error())).append("</p>\n");
    }
    if (verdict.firstDifferingStage() != null) {
      html.append("<p>First differing stage: <strong>").append(escape(verdict.firstDifferingStage()))
          .append("</strong></p>\n");
    }
    for (String note : verdict.notes()) {
      html.append("<p class=\"note\">").append(escape(note)).append("</p>\n");
    }
    if (!verdict.machineDifferences().isEmpty()) {
      html.append("<h2>The sides' machines differ</h2>\n<ul class=\"machines\">\n");
      for (String difference : verdict.machineDifferences()) {
        html.append("<li>").append(escape(difference)).append("</li>\n");
      }
      html.append("</ul>\n");
    }
    pairs(html, "Artifacts", verdict.artifacts(), true);
    pairs(html, "Stages", verdict.stages(), false);
    files(html, verdict.files());
    for (FileDifference f : verdict.files()) {
      if (f.diff() != null) {
        html.append("<h3>").append(escape(f.image() + ":" + f.path())).append("</h3>\n<pre>")
            .append(escape(f.diff())).append("</pre>\n");
      }
    }
    if (verdict.diffoscope() != null) {
      html.append("<h2>diffoscope</h2>\n<pre>").append(escape(verdict.diffoscope())).append("</pre>\n");
    }
    return html.append("</body>\n</html>\n").toString();
  }

  private static void pairs(StringBuilder html, String heading, List<SidePair> pairs, boolean sizes) {
    if (pairs.isEmpty()) {
      return;
    }
    html.append("<h2>").append(heading).append("</h2>\n<table>\n<tr><th>name</th><th>left sha256</th>")
        .append(sizes ? "<th>left size</th>" : "").append("<th>right sha256</th>")
        .append(sizes ? "<th>right size</th>" : "").append("</tr>\n");
    for (SidePair p : pairs) {
      html.append(p.same() ? "<tr>" : "<tr class=\"differs\">")
          .append("<td>").append(escape(p.name())).append("</td>")
          .append("<td class=\"hash\">").append(orDash(p.leftSha256())).append("</td>");
      if (sizes) {
        html.append("<td>").append(orDash(p.leftSize())).append("</td>");
      }
      html.append("<td class=\"hash\">").append(orDash(p.rightSha256())).append("</td>");
      if (sizes) {
        html.append("<td>").append(orDash(p.rightSize())).append("</td>");
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n");
  }

  private static void files(StringBuilder html, List<FileDifference> files) {
    if (files.isEmpty()) {
      return;
    }
    html.append("<h2>Differing files</h2>\n<table>\n<tr><th>image</th><th>path</th><th>differs in</th>")
        .append("<th>left size</th><th>left sha256</th><th>right size</th><th>right sha256</th></tr>\n");
    for (FileDifference f : files) {
      html.append("<tr class=\"differs\"><td>").append(escape(f.image())).append("</td><td>")
          .append(escape(f.path())).append("</td><td>").append(escape(f.what())).append("</td><td>")
          .append(orDash(f.leftSize())).append("</td><td class=\"hash\">").append(orDash(f.leftSha256()))
          .append("</td><td>").append(orDash(f.rightSize())).append("</td><td class=\"hash\">")
          .append(orDash(f.rightSha256())).append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private static String orDash(Object value) {
    return value == null ? "–" : escape(value.toString());
  }

  /** Text made safe inside HTML elements and double- or single-quoted attributes. */
  public static String escape(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
