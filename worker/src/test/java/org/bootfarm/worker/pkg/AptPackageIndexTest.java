package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * How a {@code Packages} index is read: stanzas split at empty lines, whatever the line ends (LF, CR LF, CR) and
 * wherever the reader's buffer ends; only Package, Version, Architecture, SHA256 and Filename are taken, each from
 * the start of a line, so a description line that merely contains one of them names nothing; a stanza without a
 * name, version or architecture is not one; plain, gzip and xz files read alike.
 */
@Tag("unit")
class AptPackageIndexTest {
  private static final String SHA = "3f8a2b6c5d4e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a";

  @TempDir Path dir;

  private static final String INDEX = "Package: libc6\nSource: glibc\nVersion: 2.36-9+deb12u10\nArchitecture: amd64\n"
      + "Filename: pool/main/g/glibc/libc6_2.36-9+deb12u10_amd64.deb\nSize: 2757536\nSHA256: " + SHA + "\n"
      + "Description: GNU C Library\n Package: not-a-package\n SHA256: not-a-hash\n\n"
      + "Package: orphan\nArchitecture: all\n\n\n"
      + "Package: perl-base\nVersion: 1:5.36.0-7\nArchitecture: amd64\nFilename:   pool/p/perl-base.deb  \n";

  private List<AptPackageIndex.Stanza> read(Path file) throws Exception {
    List<AptPackageIndex.Stanza> stanzas = new ArrayList<>();
    AptPackageIndex.readStanzas(file, stanzas::add);
    return stanzas;
  }

  private static final List<AptPackageIndex.Stanza> EXPECTED = List.of(
      new AptPackageIndex.Stanza("libc6", "2.36-9+deb12u10", "amd64", SHA,
          "pool/main/g/glibc/libc6_2.36-9+deb12u10_amd64.deb"),
      new AptPackageIndex.Stanza("perl-base", "1:5.36.0-7", "amd64", null, "pool/p/perl-base.deb"));

  @Test
  void stanzasAreSplitAtEmptyLinesWhateverTheLineEnds() throws Exception {
    for (String end : List.of("\n", "\r\n", "\r")) {
      Path file = Files.writeString(dir.resolve("x_Packages"), INDEX.replace("\n", end));
      assertEquals(EXPECTED, read(file), "line end " + end.replace("\r", "CR").replace("\n", "LF"));
    }
  }

  @Test
  void aLineAcrossTheReadersBufferAndALineLongerThanItReadAsAnyOther() throws Exception {
    // the reader fills 1 MiB at a time: the CR of a CR LF is the last byte of the first fill, its LF the first of the
    // next; a description line of 3 MiB is longer than the buffer
    String padding = "Package: pad\nVersion: 1\nArchitecture: all\nDescription: " + "x".repeat((1 << 20) - 56) + "\r\n";
    String longLine = "Package: long\nVersion: 2\nArchitecture: all\nDescription: " + "y".repeat(3 << 20) + "\n\n";
    Path file = Files.writeString(dir.resolve("y_Packages"), padding + "\r\n" + longLine + INDEX);
    List<AptPackageIndex.Stanza> stanzas = read(file);
    assertEquals(List.of("pad", "long", "libc6", "perl-base"), stanzas.stream().map(AptPackageIndex.Stanza::pkg).toList());
    assertEquals(EXPECTED, stanzas.subList(2, 4));
  }

  @Test
  void gzipAndXzIndicesReadAsThePlainOne() throws Exception {
    byte[] plain = INDEX.getBytes(StandardCharsets.UTF_8);
    Path gz = dir.resolve("z_Packages.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(plain);
    }
    Path xz = dir.resolve("z_Packages.xz");
    try (OutputStream out = new XZOutputStream(Files.newOutputStream(xz), new LZMA2Options())) {
      out.write(plain);
    }
    assertEquals(EXPECTED, read(gz));
    assertEquals(EXPECTED, read(xz));
  }
}
