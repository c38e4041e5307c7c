package org.bootfarm.coordinator.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.Verdict.FileDifference;
import org.bootfarm.protocol.api.v1.Verdict.Outcome;
import org.bootfarm.protocol.api.v1.Verdict.SidePair;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class VerdictPageTest {

  private static final String A = "a".repeat(64);
  private static final String B = "b".repeat(64);

  private static Verdict verdictWithFile(String path, String diff, String error) {
    return new Verdict(Outcome.UNREPRODUCIBLE, "build-1", "build-2", "fixture-tdnf", "bootstrap",
        List.of(new SidePair("x.iso", A, B, 10L, 11L), new SidePair("buildinfo.json", A, A, 5L, 5L)),
        List.of(new SidePair("base", A, B, null, null)), "base",
        List.of(new FileDifference("initramfs", path, "sha256", 3L, A, 4L, B, diff)),
        null, List.of("diffoscope is not installed on the coordinator"), error);
  }

  @Test
  void pathWithScriptTagIsShownEscaped() {
    String page = VerdictPage.render(verdictWithFile("etc/<script>alert('x')</script>", null, null));
    assertFalse(page.contains("<script>"), page);
    assertTrue(page.contains("<td>etc/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>"), page);
  }

  @Test
  void diffAndErrorTextAreEscapedInsidePre() {
    String page = VerdictPage.render(verdictWithFile("etc/motd",
        "--- left/etc/motd\n+++ right/etc/motd\n@@ -1 +1 @@\n-</pre><img src=x onerror=\"boom\">\n+&amp;\n",
        "right build b2 FAILED: <b>bad</b>"));
    assertTrue(page.contains("<pre>--- left/etc/motd\n+++ right/etc/motd\n@@ -1 +1 @@\n"
        + "-&lt;/pre&gt;&lt;img src=x onerror=&quot;boom&quot;&gt;\n+&amp;amp;\n</pre>"), page);
    assertFalse(page.contains("<img"), page);
    assertTrue(page.contains("right build b2 FAILED: &lt;b&gt;bad&lt;/b&gt;"), page);
    assertEquals(1, page.split("<pre>", -1).length - 1, "one diff, no diffoscope report");
  }

  @Test
  void pageShowsOutcomeStageHashesAndNotes() {
    String page = VerdictPage.render(verdictWithFile("etc/built-at", null, null));
    assertTrue(page.startsWith("<!DOCTYPE html>"), page);
    assertTrue(page.contains("class=\"outcome UNREPRODUCIBLE\""), page);
    assertTrue(page.contains("First differing stage: <strong>base</strong>"), page);
    assertTrue(page.contains("<tr class=\"differs\"><td>x.iso</td><td class=\"hash\">" + A), page);
    assertTrue(page.contains("<tr><td>buildinfo.json</td>"), "equal artifacts are not marked as differing");
    assertTrue(page.contains("diffoscope is not installed on the coordinator"), page);
    assertFalse(page.contains("http://") || page.contains("https://") || page.contains("<script"),
        "self-contained: no external resources, no scripts");
  }

  @Test
  void escapeCoversEveryHtmlMetacharacter() {
    assertEquals("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
        VerdictPage.escape("<a href=\"x\" title='y'>&</a>"));
    assertEquals("", VerdictPage.escape(null));
    assertEquals("plain/path-1.0", VerdictPage.escape("plain/path-1.0"));
  }

  @Test
  void theSidesMachineDifferencesAreListedEscaped() {
    Verdict plain = verdictWithFile("etc/x", null, null);
    Verdict verdict = new Verdict(plain.outcome(), plain.left(), plain.right(), plain.repo(), plain.target(),
        plain.artifacts(), plain.stages(), plain.firstDifferingStage(), plain.files(), null, plain.notes(), null,
        List.of("tool xorriso: left xorriso 1.5.4-4, right xorriso <1.5.6>"));
    String page = VerdictPage.render(verdict);
    assertTrue(page.contains("<h2>The sides' machines differ</h2>"), page);
    assertTrue(page.contains("<li>tool xorriso: left xorriso 1.5.4-4, right xorriso &lt;1.5.6&gt;</li>"), page);
    assertFalse(VerdictPage.render(plain).contains("machines differ"), "no section when the machines are the same");
  }
}
