package org.bootfarm.coordinator.verdict;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The unified diff (three lines of context, {@code diff -u} style) of two versions of a small text
 * file, for a verdict's report. Text means valid UTF-8 without NUL bytes; anything else gets no
 * diff, since a line diff of binary data says nothing a hash does not.
 */
final class TextDiff {

  private static final int CONTEXT_LINES = 3;

  private TextDiff() {}

  /**
   * The diff from {@code left} to {@code right} with headers {@code left/PATH} and
   * {@code right/PATH}, or empty when either side is not text.
   */
  static Optional<String> unified(String path, byte[] left, byte[] right) {
    Optional<String> a = text(left);
    Optional<String> b = text(right);
    if (a.isEmpty() || b.isEmpty()) {
      return Optional.empty();
    }
    List<String> leftLines = lines(a.get());
    List<String> rightLines = lines(b.get());
    Patch<String> patch = DiffUtils.diff(leftLines, rightLines);
    List<String> diff = UnifiedDiffUtils.generateUnifiedDiff(
        "left/" + path, "right/" + path, leftLines, patch, CONTEXT_LINES);
    return Optional.of(String.join("\n", diff) + "\n");
  }

  /** The bytes as a string if they are UTF-8 text without NUL bytes. */
  static Optional<String> text(byte[] bytes) {
    for (byte b : bytes) {
      if (b == 0) {
        return Optional.empty();
      }
    }
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /** Lines without their '\n'; a missing newline at the end is marked as diff marks it. */
  private static List<String> lines(String text) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    if (lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    } else {
      lines.set(lines.size() - 1, lines.get(lines.size() - 1) + "\n\\ No newline at end of file");
    }
    return lines;
  }
}
