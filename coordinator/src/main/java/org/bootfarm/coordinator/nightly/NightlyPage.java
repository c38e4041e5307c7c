package org.bootfarm.coordinator.nightly;

import static org.bootfarm.coordinator.verdict.VerdictPage.escape;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.InputDrift;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;

/**
 * One nightly run as a small self-contained HTML page (inline style, no scripts): one row per repo and
 * target, green when REPRODUCIBLE, red when UNREPRODUCIBLE or FAILED, grey while its builds run, each
 * linking to the pair's diff report ({@code /verdicts/{pair}}, a {@code VerdictPage}). A pair whose builds
 * install packages without a signature check (allowed by the operator) is marked UNSIGNED under its repo's
 * name, with what goes unchecked. Every value is HTML-escaped.
 */
public final class NightlyPage {
  private static final String STYLE = String.join("\n",
      "body{font-family:sans-serif;margin:1.5em;color:#222}",
      "table{border-collapse:collapse;margin:.5em 0 1.5em}",
      "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}",
      "td.hash{font-family:monospace;font-size:.85em}",
      "tr.REPRODUCIBLE td.outcome{background:#2e7d32;color:#fff;font-weight:bold}",
      "tr.UNREPRODUCIBLE td.outcome,tr.FAILED td.outcome{background:#c62828;color:#fff;font-weight:bold}",
      "tr.RUNNING td.outcome{background:#9e9e9e;color:#fff}",
      "span.unsigned{background:#e65100;color:#fff;font-weight:bold;padding:0 .3em}");

  private NightlyPage() {}

  /** The page of a run. */
  public static String render(NightlyReport run) {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Nightly ")
        .append(escape(run.id())).append("</title>\n<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n");
    html.append("<h1>Nightly run ").append(escape(run.id())).append("</h1>\n<p>")
        .append(escape(run.trigger())).append(run.scheduledFor() == null ? "" : " for " + escape(run.scheduledFor()))
        .append(", started ").append(escape(run.startedAt())).append(", ")
        .append(run.ended() ? "ended " + escape(run.finishedAt()) : "running").append("</p>\n");
    for (String note : run.notes()) {
      html.append("<p class=\"note\">").append(escape(note)).append("</p>\n");
    }
    html.append("<table>\n<tr><th>repo</th><th>target</th><th>verdict</th><th>left</th><th>right</th>"
        + "<th>first differing stage</th><th>ISO sha256</th><th>report</th><th>inputs since the previous night</th>"
        + "</tr>\n");
    for (ReproducibilityPair pair : run.pairs()) {
      String outcome = pair.outcome() == null ? "RUNNING" : pair.outcome().name();
      html.append("<tr class=\"").append(outcome).append("\"><td>").append(escape(pair.repo())).append(unsigned(pair))
          .append("</td><td>")
          .append(escape(pair.target())).append("</td><td class=\"outcome\">").append(outcome).append("</td><td>")
          .append(side(pair.left(), pair.leftWorker(), pair.leftSeconds())).append(cache(pair.leftCache()))
          .append("</td><td>")
          .append(side(pair.right(), pair.rightWorker(), pair.rightSeconds())).append(rebuilt(pair))
          .append(cache(pair.rightCache()))
          .append("</td><td>")
          .append(pair.verdict() == null || pair.verdict().firstDifferingStage() == null ? ""
              : escape(pair.verdict().firstDifferingStage()))
          .append("</td><td class=\"hash\">").append(escape(isoHashes(pair))).append("</td><td><a href=\"/verdicts/")
          .append(escape(URLEncoder.encode(pair.id(), StandardCharsets.UTF_8))).append("\">")
          .append(pair.verdict() != null && pair.verdict().error() != null ? escape(pair.verdict().error()) : "diff report")
          .append("</a>").append(attestation(pair)).append("</td><td>").append(drift(pair)).append("</td></tr>\n");
    }
    html.append("</table>\n</body>\n</html>\n");
    return html.toString();
  }

  /** A REPRODUCIBLE pair's signed attestation, to download (ADR 0044); nothing for any other pair. */
  private static String attestation(ReproducibilityPair pair) {
    return pair.attestation() == null ? "" : "<br><a href=\"/api/v1/artifacts/" + escape(pair.attestation().sha256())
        + "\" download=\"" + escape(pair.attestation().name()) + "\">signed attestation</a>";
  }

  /** The page of a pair not judged yet (its verdict's page once judged is a {@code VerdictPage}). */
  public static String pending(ReproducibilityPair pair) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Pair " + escape(pair.id())
        + "</title>\n</head>\n<body>\n<h1>" + escape(pair.repo()) + " · " + escape(pair.target())
        + "</h1>\n<p>Not judged yet: builds <code>" + escape(pair.left()) + "</code> and <code>"
        + escape(pair.right()) + "</code> are still running (the right one rebuilds the left one's record once it"
        + " succeeded).</p>\n</body>\n</html>\n";
  }

  /** That the right side rebuilt the left side's record (installed its buildinfo's lock); empty before. */
  static String rebuilt(ReproducibilityPair pair) {
    return pair.rebuiltFrom() == null ? "" : "<br><span class=\"rebuild\" title=\"installed exactly the left build's"
        + " lock from the farm's archive\">rebuilt the left build's record (buildinfo <code>"
        + escape(pair.rebuiltFrom().substring(0, Math.min(12, pair.rebuiltFrom().length()))) + "</code>)</span>";
  }

  /** What changed in the pair's inputs since the previous night, apart from its verdict; empty when not known. */
  static String drift(ReproducibilityPair pair) {
    if (pair.drift() == null) {
      return "";
    }
    InputDrift drift = pair.drift();
    if (drift.note() != null || drift.none()) {
      return escape(drift.summary());
    }
    StringBuilder html = new StringBuilder("<ul class=\"drift\">");
    drift.upgraded().forEach(c -> html.append("<li>upgraded ").append(escape(c.describe())).append("</li>"));
    drift.added().forEach(p -> html.append("<li>added ").append(escape(p)).append("</li>"));
    drift.removed().forEach(p -> html.append("<li>removed ").append(escape(p)).append("</li>"));
    return html.append("</ul>since pair ").append(escape(drift.previousPair())).toString();
  }

  /** The UNSIGNED mark of a pair built without signature checks, with what goes unchecked; empty otherwise. */
  static String unsigned(ReproducibilityPair pair) {
    return pair.hasUnsignedBuilds() ? "<br><span class=\"unsigned\" title=\"installed without a signature check, allowed"
        + " by --allow-unsigned\">UNSIGNED</span> " + escape(String.join("; ", pair.unsigned())) : "";
  }

  /** A side's package-cache use, e.g. "; packages: 82 cached, 0 downloaded"; empty when unknown. */
  static String cache(org.bootfarm.protocol.build.PackageCacheUse use) {
    return use == null ? "" : "<br><span class=\"cache\">packages: " + use.fromCache() + " cached, " + use.downloaded()
        + " downloaded (" + use.bytesDownloaded() + " bytes)</span>";
  }

  private static String side(String build, String worker, Double seconds) {
    if (build == null) {
      return "–";
    }
    return "<code>" + escape(build) + "</code>" + (worker == null ? "" : " on " + escape(worker))
        + (seconds == null ? "" : String.format(java.util.Locale.ROOT, " (%.1f s)", seconds));
  }

  private static String isoHashes(ReproducibilityPair pair) {
    if (pair.verdict() == null) {
      return "";
    }
    for (Verdict.SidePair artifact : pair.verdict().artifacts()) {
      if (artifact.name().endsWith(".iso")) {
        return artifact.same() ? artifact.leftSha256() : artifact.leftSha256() + " / " + artifact.rightSha256();
      }
    }
    return "";
  }
}
