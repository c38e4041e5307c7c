package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the suite and URIs out of apt sources files in both formats. */
@Tag("unit")
class AptSourcesFileTest {
  @TempDir Path dir;

  @Test
  void deb822SuiteIsTheFirstSuiteOfTheFirstEnabledDebStanza() throws Exception {
    Path file = Files.writeString(dir.resolve("debian.sources"), """
        # a disabled stanza and a source stanza come first
        Types: deb
        URIs: http://127.0.0.1/old
        Suites: buster
        Enabled: no

        Types: deb-src
        URIs: http://127.0.0.1/src
        Suites: trixie

        Types: deb
        # http://127.0.0.1/a comment is not a field
        URIs: http://127.0.0.1/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        URIs: http://127.0.0.1/debian-security
        Suites: bookworm-security
        Components: main
        """);
    AptSourcesFile sources = AptSourcesFile.read(file);
    assertEquals("bookworm", sources.suite());
    assertEquals(List.of("http://127.0.0.1/debian", "http://127.0.0.1/debian-security"), sources.uris());
  }

  @Test
  void oneLineSuiteSkipsOptionsAndComments() throws Exception {
    Path file = Files.writeString(dir.resolve("sources.list"), """
        # deb http://127.0.0.1/commented stretch main
        deb-src http://127.0.0.1/debian trixie main
        deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://127.0.0.1/debian bookworm main
        deb http://127.0.0.1/debian-security bookworm-security main
        """);
    AptSourcesFile sources = AptSourcesFile.read(file);
    assertEquals("bookworm", sources.suite());
    assertEquals(List.of("http://127.0.0.1/debian", "http://127.0.0.1/debian-security"), sources.uris());
  }

  @Test
  void fileWithoutDebEntryIsRejectedNamingIt() throws Exception {
    Path file = Files.writeString(dir.resolve("empty.list"), "# nothing here\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AptSourcesFile.read(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }
}
