package org.bootfarm.worker.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which zlib deflates the initramfs: found among the JVM's mapped files and named by its Debian package. */
@Tag("unit")
class DeflateLibraryTest {

  @Test
  void theMappedZlibIsFoundAndNoOtherLibraryIsTakenForIt() {
    List<String> maps = List.of(
        "7f1f02200000-7f1f02210000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4",
        "7f1f02250000-7f1f0225c000 r--p 00000000 08:01 1235 /usr/lib/jvm/java-17-openjdk-amd64/lib/libzip.so",
        "7f1f0225c000-7f1f0226c000 r-xp 00002000 08:01 1236 /usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
        "7ffd8a1e4000-7ffd8a205000 rw-p 00000000 00:00 0 [stack]");
    assertEquals(Optional.of(Path.of("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13")), DeflateLibrary.mapped(maps));
    assertEquals(Optional.empty(), DeflateLibrary.mapped(maps.subList(0, 2)));
    assertEquals("bundled with java", DeflateLibrary.describe(Optional.empty()).join());
  }

  @Test
  void onDebianTheJvmsZlibIsTheZlib1gPackageAtItsFullVersion() throws Exception {
    Process query = new ProcessBuilder("dpkg-query", "-W", "-f", "${Version}", "zlib1g").start();
    String version = new String(query.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, query.waitFor(), "dpkg-query knows zlib1g on a Debian machine");
    assertEquals("zlib1g " + version, DeflateLibrary.version(),
        "Debian's OpenJDK deflates with the system zlib, and the record names its package and version");
  }

  @Test
  void aZlibNoPackageShipsIsNamedByPathAndDigest(@TempDir Path dir) throws Exception {
    Path own = Files.write(dir.resolve("libz.so.1"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3});
    String described = DeflateLibrary.describe(Optional.of(own)).join();
    assertEquals(own + " sha256:" + Sha256.of(own), described);
  }
}
