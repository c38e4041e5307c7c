package org.bootfarm.coordinator.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class TextDiffTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void changedLineGivesUnifiedDiffWithContext() {
    Optional<String> diff = TextDiff.unified("etc/os-release",
        utf8("NAME=x\nVERSION=1\nID=x\n"), utf8("NAME=x\nVERSION=2\nID=x\n"));
    assertEquals("--- left/etc/os-release\n+++ right/etc/os-release\n@@ -1,3 +1,3 @@\n"
        + " NAME=x\n-VERSION=1\n+VERSION=2\n ID=x\n", diff.orElseThrow());
  }

  @Test
  void binaryOrInvalidUtf8GetsNoDiff() {
    assertTrue(TextDiff.unified("bin/x", new byte[] {1, 0, 2}, utf8("text\n")).isEmpty(), "NUL byte");
    assertTrue(TextDiff.unified("bin/x", utf8("text\n"), new byte[] {(byte) 0xff, (byte) 0xfe}).isEmpty(),
        "not UTF-8");
  }

  @Test
  void missingFinalNewlineIsShown() {
    String diff = TextDiff.unified("etc/hostname", utf8("a\n"), utf8("a")).orElseThrow();
    assertTrue(diff.contains("\\ No newline at end of file"), diff);
  }
}
