package org.bootfarm.coordinator.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Frames are cut right however the bytes arrive, and an oversized frame is skipped without losing the next. */
@Tag("unit")
class FrameReaderTest {
  final List<String> seen = new ArrayList<>();
  final FrameReader reader = new FrameReader(16, 1024, new FrameReader.Frames() {
    @Override
    public void frame(Buffer json) {
      seen.add(json.toString());
    }

    @Override
    public void oversized(long length, int limit) {
      seen.add("oversized " + length);
    }

    @Override
    public void broken(long length) {
      seen.add("broken " + length);
    }
  });

  static Buffer frame(String text) {
    return Buffer.buffer().appendInt(text.length()).appendString(text);
  }

  void feedByteByByte(Buffer stream) {
    for (int i = 0; i < stream.length(); i++) {
      reader.feed(stream.getBuffer(i, i + 1));
    }
  }

  @Test
  void framesSplitAcrossReadsAndSeveralInOneReadAreAllRead() {
    feedByteByByte(frame("{\"a\":1}"));
    reader.feed(frame("{}").appendBuffer(frame("{\"b\":2}")));
    assertEquals(List.of("{\"a\":1}", "{}", "{\"b\":2}"), seen);
  }

  @Test
  void anOversizedFrameIsReportedOnceAndSkippedWhetherWholeOrInPieces() {
    Buffer stream = frame("x".repeat(100)).appendBuffer(frame("{\"after\":1}"));
    reader.feed(stream);
    feedByteByByte(stream);
    assertEquals(List.of("oversized 100", "{\"after\":1}", "oversized 100", "{\"after\":1}"), seen);
  }

  @Test
  void aLengthNoClientWouldSendBreaksTheStreamAndNothingAfterIsRead() {
    reader.feed(Buffer.buffer("GET / HTTP/1.1\r\n\r\n"));
    reader.feed(frame("{}"));
    assertEquals(List.of("broken " + Buffer.buffer("GET ").getUnsignedInt(0)), seen);
  }
}
