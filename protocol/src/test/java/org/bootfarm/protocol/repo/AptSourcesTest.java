package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries and options of apt sources files in both formats, as apt would act on them. */
@Tag("unit")
class AptSourcesTest {
  @TempDir Path dir;

  @Test
  void oneLineEntriesKeepTheirLineTypeAndOptions() throws Exception {
    AptSources sources = AptSources.read(Files.writeString(dir.resolve("sources.list"), """
        # deb [trusted=yes] http://127.0.0.1/commented bookworm main
        deb-src http://127.0.0.1/debian bookworm main
        deb [ arch+=amd64 Trusted=yes ] http://127.0.0.1/debian bookworm main contrib # a comment
        not an entry
        deb\thttp://127.0.0.1/security bookworm-security main
        """));
    List<AptSources.Entry> entries = sources.entries();
    assertEquals(List.of(2, 3, 5), entries.stream().map(AptSources.Entry::line).toList());
    AptSources.Entry trusted = entries.get(1);
    assertEquals(List.of("deb"), trusted.types());
    assertEquals(List.of("http://127.0.0.1/debian"), trusted.uris());
    assertEquals(List.of("bookworm"), trusted.suites());
    assertEquals(List.of("main", "contrib"), trusted.components());
    assertEquals(Map.of("arch", "amd64", "trusted", "yes"), trusted.options());
    assertEquals(List.of("trusted=yes"), trusted.insecureOptions());
    assertEquals(List.of(), entries.get(2).insecureOptions());
  }

  @Test
  void deb822StanzasStartWhereTheirFirstFieldIsAndKeepOptionsUnderOneLineNames() throws Exception {
    AptSources sources = AptSources.read(Files.writeString(dir.resolve("debian.sources"), """
        # the archive
        Types: deb
        URIs: http://127.0.0.1/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        # weak on purpose
        Types: deb deb-src
        URIs: http://127.0.0.1/a
          http://127.0.0.1/b
        Suites: bookworm
        Allow-Weak: true
        Allow-Downgrade-To-Insecure: yes
        Trusted: no
        Enabled: yes

        Types: deb
        URIs: http://127.0.0.1/old
        Suites: buster
        Allow-Insecure: yes
        Enabled: no
        """));
    List<AptSources.Entry> entries = sources.entries();
    assertEquals(List.of(2, 9, 18), entries.stream().map(AptSources.Entry::line).toList());
    assertEquals(List.of("bookworm", "bookworm-updates"), entries.get(0).suites());
    assertEquals(List.of(), entries.get(0).insecureOptions());
    AptSources.Entry weak = entries.get(1);
    assertEquals(List.of("deb", "deb-src"), weak.types());
    assertEquals(List.of("http://127.0.0.1/a", "http://127.0.0.1/b"), weak.uris());
    assertEquals(List.of("allow-weak=true", "allow-downgrade-to-insecure=yes"), weak.insecureOptions());
    assertFalse(entries.get(2).enabled());
  }
}
