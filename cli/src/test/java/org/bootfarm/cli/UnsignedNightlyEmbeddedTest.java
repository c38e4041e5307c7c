package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nightly report marks a build its operator allowed unsigned, on a real farm: {@code bootfarm nightly
 * --now --wait --embedded --allow-unsigned fixture-unsigned} starts a coordinator and two workers in this JVM
 * and builds the pair of a definition whose .repo says {@code gpgcheck=0}, from a repository whose haveged is
 * unsigned (so the builds succeed only because the operator's allowance reached the workers). The run's JSON
 * and its saved HTML page mark the pair UNSIGNED with what went unchecked, and so does each build's buildinfo;
 * the text report marks it too.
 */
@Tag("process")
class UnsignedNightlyEmbeddedTest {
  @TempDir Path dir;

  @Test
  void theEmbeddedFarmsNightlyReportMarksTheAllowedUnsignedPair() throws Exception {
    try (FixtureYumRepo repo = FixtureYumRepo.start(FixtureYumRepo.Variant.UNSIGNED_PACKAGE)) {
      Path repos = Files.createDirectories(dir.resolve("repos"));
      Path definition = FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, "fixture-unsigned", "");
      Path repoFile = definition.resolve("fixture.repo");
      Files.writeString(repoFile, Files.readString(repoFile).replace("gpgcheck=1", "gpgcheck=0"));
      Map<String, Path> components = FixtureBuilds.components(dir.resolve("components"));
      List<String> args = new ArrayList<>(List.of("nightly", "--now", "--wait", "--json", "--patience", "10m",
          "--embedded", "--embedded-dir", dir.resolve("farm").toString(), "--repos", repos.toString(),
          "--cache-dir", dir.resolve("cache").toString(), "--keys",
          Files.createDirectories(dir.resolve("keys")).toString(), "--allow-unsigned", "fixture-unsigned"));
      components.forEach((name, file) -> args.addAll(List.of("--component", name + "=" + file)));

      CliRun run = CliRun.inProcess(args.toArray(String[]::new));

      assertEquals(0, run.exitCode, run::toString);
      // the embedded coordinator's own lines come first on standard output; the run's JSON starts a line
      int json = run.stdout.startsWith("{") ? 0 : run.stdout.indexOf("\n{") + 1;
      JsonNode report = FarmProcesses.JSON.readTree(run.stdout.substring(json));
      assertTrue(run.stdout.contains("bootfarm coordinator: repo fixture-unsigned is built UNSIGNED"), run::toString);
      assertEquals(1, report.get("pairs").size(), report::toString);
      JsonNode pair = report.get("pairs").get(0);
      assertEquals("REPRODUCIBLE", pair.get("outcome").asText(), pair::toString);
      assertEquals("[\"fixture.repo [bootfarm-fixture]: gpgcheck=0\"]", pair.get("unsigned").toString(), pair::toString);

      int buildinfos = 0;
      for (JsonNode artifact : pair.get("verdict").get("artifacts")) {
        if (artifact.get("name").asText().equals("buildinfo.json")) {
          buildinfos++;
          for (String side : List.of("leftSha256", "rightSha256")) {
            String sha256 = artifact.get(side).asText();
            JsonNode buildinfo = FarmProcesses.JSON.readTree(dir.resolve("farm/coordinator/artifacts/objects")
                .resolve(sha256.substring(0, 2)).resolve(sha256).toFile());
            assertEquals("[\"fixture.repo [bootfarm-fixture]: gpgcheck=0\"]", buildinfo.get("unsigned").toString(),
                () -> side + " buildinfo: " + buildinfo);
          }
        }
      }
      assertEquals(1, buildinfos, () -> "the verdict compares the buildinfo: " + pair);

      Path page = dir.resolve("farm/reports").resolve(report.get("id").asText() + ".html");
      String html = Files.readString(page);
      assertTrue(html.contains("<td>fixture-unsigned<br><span class=\"unsigned\""), html);
      assertTrue(html.contains(">UNSIGNED</span> fixture.repo [bootfarm-fixture]: gpgcheck=0</td>"), html);

      String text = textReport(FarmProcesses.JSON.treeToValue(report, NightlyReport.class));
      assertTrue(text.lines().anyMatch(l -> l.startsWith("fixture-unsigned") && l.contains("REPRODUCIBLE")
          && l.contains("UNSIGNED (fixture.repo [bootfarm-fixture]: gpgcheck=0)")), text);
    }
  }

  @Test
  void theTextReportAndVerdictMarkOnlyUnsignedPairs() {
    Verdict same = new Verdict(Verdict.Outcome.REPRODUCIBLE, "b1", "b2", "r", "bootstrap", List.of(), List.of(), null,
        List.of(), null, List.of(), null);
    ReproducibilityPair signed = new ReproducibilityPair("p1", "now-1", "fixture-signed", "bootstrap", "b1", "b2", "w1",
        "w2", 1.0, 1.0, null, "2026-11-25T02:00:00Z", null, null).judged(same, "2026-11-25T02:10:00Z", "w1", "w2", 1.0,
        1.0);
    ReproducibilityPair unsigned = signed.withUnsigned(List.of("sources.list line 2: trusted=yes"));
    String text = textReport(new NightlyReport("now-1", NightlyReport.ON_DEMAND, null, "2026-11-25T02:00:00Z",
        "2026-11-25T02:10:00Z", List.of(), List.of(signed)));
    assertTrue(!text.contains("UNSIGNED"), text);
    ByteArrayOutputStream verdict = new ByteArrayOutputStream();
    NightlyCommands.printVerdict(unsigned, null, new PrintStream(verdict, true, StandardCharsets.UTF_8));
    assertTrue(verdict.toString(StandardCharsets.UTF_8).contains("UNSIGNED: installed without a signature check"
        + " (allowed by --allow-unsigned): sources.list line 2: trusted=yes"), verdict::toString);
  }

  @Test
  void aVerdictPrintsHowTheSidesMachinesDiffered() {
    Verdict differing = new Verdict(Verdict.Outcome.REPRODUCIBLE, "b1", "b2", "r", "bootstrap", List.of(), List.of(),
        null, List.of(), null, List.of(), null, List.of("tool xorriso: left xorriso 1.5.4-4, right xorriso 1.5.6-1"));
    ReproducibilityPair pair = new ReproducibilityPair("p1", "now-1", "fixture-signed", "bootstrap", "b1", "b2", "w1",
        "w2", 1.0, 1.0, null, "2026-11-25T02:00:00Z", null, null).judged(differing, "2026-11-25T02:10:00Z", "w1", "w2",
        1.0, 1.0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NightlyCommands.printVerdict(pair, null, new PrintStream(out, true, StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains(
        "  machines differ: tool xorriso: left xorriso 1.5.4-4, right xorriso 1.5.6-1"), out::toString);
  }

  /** The text {@code bootfarm nightly} prints for a run (the report URL falls back to a path without a farm). */
  static String textReport(NightlyReport run) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NightlyCommands.printReport(run, null, new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }
}
