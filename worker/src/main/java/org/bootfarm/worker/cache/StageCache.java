package org.bootfarm.worker.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.archive.AtomicOutput;
import org.bootfarm.worker.archive.DeterministicTar;

/**
 * A worker's cache of stage archives, so that builds of the same repo share one {@code base} stage (the
 * bootstrap and the appliance of a repo, one after the other): {@code <cacheDir>/stages/<stage>/<key>-<sha256>.tar.gz},
 * where the key is the sha256 of everything the stage reads ({@link BaseStageKey}) and the second hash is the
 * stage's, the sha256 of the tar the archive holds ({@link DeterministicTar#tarSha256}, docs/adr/0062). An entry
 * is published only after its copy was verified against that sha256, by an atomic rename, so a reader never sees
 * a partial one; on every reuse its tar is hashed again, and an entry that does not match its name, is not a
 * whole gzip stream, or is older than {@link #MAX_AGE}, is deleted and not used (each publication also deletes
 * every entry past that age, whatever its key).
 * Reproducibility pairs and varied builds never read or write it (ADR 0025).
 */
public final class StageCache {
  /**
   * How long an entry is reused. The key pins the definition and tools but not the repository's
   * package set, which the base stage resolves when it runs; a day bounds how long a repository's
   * updates can stay out of builds that reuse a base.
   */
  public static final Duration MAX_AGE = Duration.ofHours(24);

  private final Path dir;
  private final Clock clock;

  /** The cache under {@code dir} ({@code <cacheDir>/stages}). */
  public StageCache(Path dir) {
    this(dir, Clock.systemUTC());
  }

  StageCache(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
  }

  /** A verified entry: the archive's file and the stage's sha256 (its tar's). */
  public record Entry(Path archive, String sha256) {}

  /**
   * The entry of {@code stage} under {@code key}, its sha256 checked now; empty when there is none, or
   * when the one there is corrupt or too old (it is then deleted, and the log says why).
   */
  public Optional<Entry> find(String stage, String key, BuildLog log) throws IOException {
    for (Path file : entries(stage, key)) {
      String name = file.getFileName().toString();
      String recorded = name.substring(key.length() + 1, name.length() - ".tar.gz".length());
      Instant published = Files.getLastModifiedTime(file).toInstant();
      if (published.plus(MAX_AGE).isBefore(clock.instant())) {
        log.line(stage, "stage cache: entry " + name + " is older than " + MAX_AGE.toHours() + " h; discarded");
        Files.deleteIfExists(file);
        continue;
      }
      String actual;
      try {
        actual = DeterministicTar.tarSha256(file);
      } catch (IOException e) {
        actual = "nothing: " + e.getMessage();
      }
      if (!actual.equals(recorded)) {
        log.line(stage, "stage cache: entry " + name + " is corrupt (its tar hashes to " + actual
            + "); discarded, the stage runs");
        Files.deleteIfExists(file);
        continue;
      }
      return Optional.of(new Entry(file, actual));
    }
    return Optional.empty();
  }

  /**
   * Publishes {@code archive} (whose tar's sha256 is {@code sha256}) as the entry of {@code stage} under
   * {@code key}, replacing any other entry of that key: copied beside the entries, hashed again, then
   * renamed into place. A copy that does not hash to {@code sha256} is not published.
   *
   * @return the published entry
   * @throws IOException when the copy cannot be written or does not verify
   */
  public Entry publish(String stage, String key, Path archive, String sha256) throws IOException {
    Path target = dir.resolve(stage).resolve(key + "-" + sha256 + ".tar.gz");
    Path temp = AtomicOutput.temporaryBeside(target);
    try {
      Files.copy(archive, temp, StandardCopyOption.REPLACE_EXISTING);
      String copied = DeterministicTar.tarSha256(temp);
      if (!copied.equals(sha256)) {
        throw new IOException("stage cache: the copy of " + archive + " hashes to " + copied + ", not " + sha256
            + "; not published");
      }
      for (Path other : entries(stage, key)) {
        if (!other.equals(target)) {
          Files.deleteIfExists(other);
        }
      }
      AtomicOutput.moveIntoPlace(temp, target);
      pruneExpired(stage);
      return new Entry(target, sha256);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Deletes the entries of every key that are older than {@link #MAX_AGE}: nothing would reuse them. */
  private void pruneExpired(String stage) throws IOException {
    Instant oldest = clock.instant().minus(MAX_AGE);
    try (Stream<Path> files = Files.list(dir.resolve(stage))) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".tar.gz")
          && !f.getFileName().toString().startsWith(".")).toList()) {
        if (Files.getLastModifiedTime(file).toInstant().isBefore(oldest)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** Every published entry of {@code key}, sorted (temporary files start with a dot and are not among them). */
  private List<Path> entries(String stage, String key) throws IOException {
    Path stageDir = dir.resolve(stage);
    if (!Files.isDirectory(stageDir)) {
      return List.of();
    }
    String prefix = key + "-";
    try (Stream<Path> files = Files.list(stageDir)) {
      return files.filter(f -> {
        String name = f.getFileName().toString();
        return name.startsWith(prefix) && name.endsWith(".tar.gz") && name.length() == prefix.length() + 64 + 7;
      }).sorted().toList();
    }
  }
}
