package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When an install may take a repo's warm apt indices without refreshing them: only after a refresh from the same
 * sources file, less than {@link AptIndexRefresh#FRESH_FOR} ago; never on a note it cannot read. The note names the
 * resolution's memo and which transaction asked exactly which request.
 */
@Tag("unit")
class AptIndexRefreshTest {
  private static final Instant REFRESHED = Instant.parse("2026-12-07T14:00:00Z");
  private static final String MEMO = "ab".repeat(32);
  private static final List<List<String>> REQUESTS = List.of(List.of("?essential", "busybox-static", "kmod"),
      List.of("?essential", "busybox-static", "kmod", "haveged"));

  private Optional<Duration> age(Path sources, Instant now) {
    return AptIndexRefresh.fresh(cache, sources, now).map(note -> note.age(now));
  }

  @TempDir Path cache;

  @Test
  void aRefreshFromTheSameSourcesStandsForFifteenMinutes() throws Exception {
    Path sources = Files.writeString(cache.resolve("debian.sources"), "Types: deb\nURIs: http://mirror.invalid/debian\n");
    Files.createDirectories(cache.resolve("apt"));
    assertEquals(Optional.empty(), age(sources, REFRESHED), "never refreshed");

    AptIndexRefresh.noteRefreshed(cache, sources, REFRESHED, MEMO, REQUESTS);
    assertEquals(Optional.of(Duration.ofSeconds(4)), age(sources, REFRESHED.plusSeconds(4)));
    assertEquals(Optional.of(Duration.ZERO), age(sources, REFRESHED));
    assertEquals(Optional.empty(), age(sources, REFRESHED.plus(AptIndexRefresh.FRESH_FOR)),
        "too old");
    assertEquals(Optional.empty(), age(sources, REFRESHED.minusSeconds(1)),
        "a note from the future (the clock went back): refreshed again");

    AptIndexRefresh.Note note = AptIndexRefresh.fresh(cache, sources, REFRESHED.plusSeconds(4)).orElseThrow();
    assertEquals(MEMO, note.memoKey());
    assertEquals(OptionalInt.of(1), note.transactionOf(List.of("?essential", "busybox-static", "kmod", "haveged")));
    assertEquals(OptionalInt.empty(), note.transactionOf(List.of("?essential", "kmod", "busybox-static")),
        "another order is another request");
  }

  @Test
  void otherSourcesOrAnUnreadableNoteRefreshAgain() throws Exception {
    Path sources = Files.writeString(cache.resolve("debian.sources"), "Types: deb\nURIs: http://mirror.invalid/debian\n");
    Files.createDirectories(cache.resolve("apt"));
    AptIndexRefresh.noteRefreshed(cache, sources, REFRESHED, MEMO, REQUESTS);

    Files.writeString(sources, "Types: deb\nURIs: http://other-mirror.invalid/debian\n");
    assertEquals(Optional.empty(), age(sources, REFRESHED.plusSeconds(4)),
        "the sources changed since");

    AptIndexRefresh.noteRefreshed(cache, sources, REFRESHED, MEMO, REQUESTS);
    Path note = AptIndexRefresh.note(cache);
    Files.writeString(note, Files.readString(note).replace("refreshed ", "refreshed x"));
    assertEquals(Optional.empty(), age(sources, REFRESHED.plusSeconds(4)));
    Files.writeString(note, "");
    assertEquals(Optional.empty(), age(sources, REFRESHED.plusSeconds(4)));
  }
}
