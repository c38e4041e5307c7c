package org.bootfarm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sha256 of bytes, streams and files agree with the published test vector. */
@Tag("unit")
class Sha256Test {
  static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void bytesStreamAndFileGiveTheSameKnownDigest(@TempDir Path tmp) throws Exception {
    byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
    assertEquals(ABC, Sha256.of(abc));
    assertEquals(ABC, Sha256.of(new ByteArrayInputStream(abc)));
    assertEquals(ABC, Sha256.of(Files.write(tmp.resolve("abc"), abc)));
  }
}
