package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When an install may take a repo's warm apt indices without refreshing them: only after a refresh from the same
 * sources file, less than {@link AptIndexRefresh#FRESH_FOR} ago; never on a note it cannot read.
 */
@Tag("unit")
class AptIndexRefreshTest {
  private static final Instant REFRESHED = Instant.parse("2026-12-07T14:00:00Z");

  @TempDir Path cache;

  @Test
  void aRefreshFromTheSameSourcesStandsForFifteenMinutes() throws Exception {
    Path sources = Files.writeString(cache.resolve("debian.sources"), "Types: deb\nURIs: http://mirror.invalid/debian\n");
    Files.createDirectories(cache.resolve("apt"));
    assertEquals(Optional.empty(), AptIndexRefresh.freshAge(cache, sources, REFRESHED), "never refreshed");

    AptIndexRefresh.noteRefreshed(cache, sources, REFRESHED);
    assertEquals(Optional.of(Duration.ofSeconds(4)), AptIndexRefresh.freshAge(cache, sources, REFRESHED.plusSeconds(4)));
    assertEquals(Optional.of(Duration.ZERO), AptIndexRefresh.freshAge(cache, sources, REFRESHED));
    assertEquals(Optional.empty(), AptIndexRefresh.freshAge(cache, sources, REFRESHED.plus(AptIndexRefresh.FRESH_FOR)),
        "too old");
    assertEquals(Optional.empty(), AptIndexRefresh.freshAge(cache, sources, REFRESHED.minusSeconds(1)),
        "a note from the future (the clock went back): refreshed again");
  }

  @Test
  void otherSourcesOrAnUnreadableNoteRefreshAgain() throws Exception {
    Path sources = Files.writeString(cache.resolve("debian.sources"), "Types: deb\nURIs: http://mirror.invalid/debian\n");
    Files.createDirectories(cache.resolve("apt"));
    AptIndexRefresh.noteRefreshed(cache, sources, REFRESHED);

    Files.writeString(sources, "Types: deb\nURIs: http://other-mirror.invalid/debian\n");
    assertEquals(Optional.empty(), AptIndexRefresh.freshAge(cache, sources, REFRESHED.plusSeconds(4)),
        "the sources changed since");

    AptIndexRefresh.noteRefreshed(cache, sources, REFRESHED);
    Path note = AptIndexRefresh.note(cache);
    Files.writeString(note, Files.readString(note).replace("refreshed ", "refreshed x"));
    assertEquals(Optional.empty(), AptIndexRefresh.freshAge(cache, sources, REFRESHED.plusSeconds(4)));
    Files.writeString(note, "");
    assertEquals(Optional.empty(), AptIndexRefresh.freshAge(cache, sources, REFRESHED.plusSeconds(4)));
  }
}
