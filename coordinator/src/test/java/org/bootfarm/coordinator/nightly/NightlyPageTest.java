package org.bootfarm.coordinator.nightly;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The nightly report page: one row per pair, coloured by outcome, linking to its diff report, escaped. */
@Tag("unit")
class NightlyPageTest {
  static ReproducibilityPair pair(String id, String repo, Verdict verdict) {
    ReproducibilityPair open = new ReproducibilityPair(id, "now-1", repo, "bootstrap", "b1", "b2", "w1", null, 3.5,
        null, null, "2026-11-25T02:00:00Z", null, null);
    return verdict == null ? open : open.judged(verdict, "2026-11-25T02:10:00Z", "w1", "w2", 3.5, 4.0);
  }

  @Test
  void eachPairIsARowColouredByItsOutcomeLinkingToItsDiffReportWithEveryValueEscaped() {
    Verdict same = new Verdict(Verdict.Outcome.REPRODUCIBLE, "b1", "b2", "photon-2.0", "bootstrap",
        List.of(new Verdict.SidePair("bootstrap-photon-2.0.iso", "a".repeat(64), "a".repeat(64), 10L, 10L)), List.of(),
        null, List.of(), null, List.of(), null);
    Verdict failed = new Verdict(Verdict.Outcome.FAILED, null, null, "<script>x</script>", "bootstrap", List.of(),
        List.of(), null, List.of(), null, List.of(), "only one live worker (w1) runs apt");
    NightlyReport run = new NightlyReport("now-1", NightlyReport.ON_DEMAND, null, "2026-11-25T02:00:00Z", null,
        List.of("centos-6.9: not built, its definition is invalid"), List.of(pair("now-1-1", "photon-2.0", same),
            pair("now-1-2", "<script>x</script>", failed), pair("now-1-3", "debian-12", null)));
    String page = NightlyPage.render(run);
    assertTrue(page.contains("<tr class=\"REPRODUCIBLE\"><td>photon-2.0</td>"), page);
    assertTrue(page.contains("<tr class=\"FAILED\"><td>&lt;script&gt;x&lt;/script&gt;</td>"), page);
    assertTrue(page.contains("<tr class=\"RUNNING\"><td>debian-12</td>"), page);
    assertTrue(page.contains("href=\"/verdicts/now-1-1\""), page);
    assertTrue(page.contains("only one live worker (w1) runs apt"), page);
    assertTrue(page.contains("a".repeat(64)), page);
    assertTrue(page.contains("centos-6.9: not built"), page);
    assertTrue(page.contains("running"), page);
    assertFalse(page.contains("<script>"), page);
  }
  @Test
  void aPairBuiltUnsignedIsMarkedUnderItsRepoWithWhatWentUncheckedAndASignedOneIsNot() {
    Verdict same = new Verdict(Verdict.Outcome.REPRODUCIBLE, "b1", "b2", "fixture", "bootstrap", List.of(), List.of(),
        null, List.of(), null, List.of(), null);
    NightlyReport run = new NightlyReport("now-1", NightlyReport.ON_DEMAND, null, "2026-11-25T02:00:00Z", null,
        List.of(), List.of(pair("now-1-1", "fixture-unsigned", same).withUnsigned(List.of("fixture.repo [x]: <gpgcheck=0>")),
            pair("now-1-2", "fixture-signed", same)));
    String page = NightlyPage.render(run);
    assertTrue(page.contains("<tr class=\"REPRODUCIBLE\"><td>fixture-unsigned<br><span class=\"unsigned\""), page);
    assertTrue(page.contains(">UNSIGNED</span> fixture.repo [x]: &lt;gpgcheck=0&gt;</td>"), page);
    assertTrue(page.contains("<tr class=\"REPRODUCIBLE\"><td>fixture-signed</td>"), page);
  }
}
