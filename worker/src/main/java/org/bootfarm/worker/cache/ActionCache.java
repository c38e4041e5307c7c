package org.bootfarm.worker.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.archive.AtomicOutput;

/**
 * A machine's action cache: the outputs of whole builds, found by the {@link ActionKey} of everything that
 * determined them, so an unchanged build publishes the outputs it made before instead of running
 * (docs/adr/0048). {@code <cacheDir>/actions/entries/<key>.json} names the build that made them and each
 * output's sha256 and size; the bytes are stored once each by sha256 in {@code <cacheDir>/actions/files}.
 * Entries and files are written under temporary names, verified, and renamed into place. Serving an entry
 * hashes every byte it copies: an entry whose file is missing or does not hash to its name is logged,
 * removed and not served (the build runs). An entry unused for {@link #MAX_IDLE} is removed with the files
 * no other entry names when the next entry is published.
 */
public final class ActionCache {
  /** How long an entry nobody served or published stays. */
  public static final Duration MAX_IDLE = Duration.ofDays(7);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An entry: the build that made the outputs, when, and each output's sha256 and size by its name in the out dir. */
  public record Entry(String builtBy, String builtAt, TreeMap<String, Output> outputs) {}

  /** One output of an entry. */
  public record Output(String sha256, long size) {}

  private final Path dir;
  private final Clock clock;

  /** The cache under {@code dir} ({@code <cacheDir>/actions}). */
  public ActionCache(Path dir) {
    this(dir, Clock.systemUTC());
  }

  ActionCache(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
  }

  private Path entryFile(String key) {
    return dir.resolve("entries").resolve(key + ".json");
  }

  private Path file(String sha256) {
    return dir.resolve("files").resolve(sha256);
  }

  /** Whether an entry of {@code key} is stored (whether it still verifies, only {@link #serve} finds out). */
  public boolean holds(String key) {
    return Files.isRegularFile(entryFile(key));
  }

  /** The entry of {@code key} as stored, not verified (only {@link #serve} verifies); empty when none is readable. */
  public Optional<Entry> entry(String key) {
    try {
      return Files.isRegularFile(entryFile(key))
          ? Optional.of(JSON.readValue(entryFile(key).toFile(), Entry.class)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Publishes the entry of {@code key} into {@code outDir}: every output copied under a temporary name and
   * hashed while copied, then all renamed into place. Empty, with nothing published and the log saying why,
   * when there is no entry or it does not verify (it is then removed).
   */
  public Optional<Entry> serve(String key, Path outDir, BuildLog log) throws IOException {
    Path entryFile = entryFile(key);
    if (!Files.isRegularFile(entryFile)) {
      return Optional.empty();
    }
    Entry entry;
    try {
      entry = JSON.readValue(entryFile.toFile(), Entry.class);
    } catch (IOException e) {
      log.line("build", "action cache: entry " + entryFile + " is unreadable (" + e.getMessage() + "); removed");
      Files.deleteIfExists(entryFile);
      return Optional.empty();
    }
    List<Path[]> copied = new ArrayList<>();
    try {
      for (var output : entry.outputs().entrySet()) {
        Path target = outDir.resolve(output.getKey()).normalize();
        if (!target.startsWith(outDir.normalize())) {
          throw new Corrupt("names " + output.getKey() + ", outside the out directory");
        }
        Path source = file(output.getValue().sha256());
        if (!Files.isRegularFile(source)) {
          throw new Corrupt("lacks the file of " + output.getKey() + " (" + source + ")");
        }
        Path temp = AtomicOutput.temporaryBeside(target);
        copied.add(new Path[] {temp, target});
        String actual = copyHashing(source, temp);
        if (!actual.equals(output.getValue().sha256())) {
          Files.deleteIfExists(source);
          throw new Corrupt("holds " + output.getKey() + " as " + source + ", whose bytes hash to " + actual);
        }
      }
      for (Path[] move : copied) {
        AtomicOutput.moveIntoPlace(move[0], move[1]);
      }
      Files.setLastModifiedTime(entryFile, FileTime.from(clock.instant()));
      return Optional.of(entry);
    } catch (Corrupt e) {
      log.line("build", "action cache: entry " + key + " " + e.getMessage() + "; removed, not served: the build runs");
      Files.deleteIfExists(entryFile);
      return Optional.empty();
    } finally {
      for (Path[] move : copied) {
        Files.deleteIfExists(move[0]);
      }
    }
  }

  /**
   * Stores {@code outputs} (names relative to {@code outDir}, where the build published them) as the entry of
   * {@code key}, made by {@code builtBy}. An output whose sha256 the build already took ({@code known}, by name)
   * is hard-linked into the store under that sha256 when the store is on the same file system: it is not read
   * again, and {@link #serve} hashes every byte it copies out, so a published file written in place later is
   * found there and the entry removed. Any other file is copied once into the store and checked against the
   * hash taken while it was copied.
   */
  public Entry publish(String key, Path outDir, List<String> outputs, Map<String, String> known, String builtBy)
      throws IOException {
    TreeMap<String, Output> recorded = new TreeMap<>();
    Files.createDirectories(dir.resolve("files"));
    for (String name : outputs) {
      Path source = outDir.resolve(name);
      String sha256 = known.containsKey(name) && linked(source, known.get(name)) ? known.get(name)
          : copyIntoStore(source);
      recorded.put(name, new Output(sha256, Files.size(file(sha256))));
    }
    Entry entry = new Entry(builtBy, clock.instant().toString(), recorded);
    Files.createDirectories(entryFile(key).getParent());
    AtomicOutput.writeBytes(entryFile(key), JSON.writeValueAsBytes(entry));
    prune();
    return entry;
  }

  /**
   * Whether the store holds {@code sha256}'s file after this call: already, or as a new hard link to {@code source}
   * (false when the link cannot be made, e.g. across file systems; the caller copies then).
   */
  private boolean linked(Path source, String sha256) throws IOException {
    if (Files.isRegularFile(file(sha256))) {
      return true;
    }
    Path temp = AtomicOutput.temporaryBeside(dir.resolve("files").resolve("new"));
    try {
      Files.delete(temp);
      Files.createLink(temp, source);
      AtomicOutput.moveIntoPlace(temp, file(sha256));
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      // no hard link here (another file system, or one without links): publish copies and hashes the file instead
      return false;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Copies {@code source} into the store under the sha256 of the bytes copied, and returns it. */
  private String copyIntoStore(Path source) throws IOException {
    Path temp = AtomicOutput.temporaryBeside(dir.resolve("files").resolve("new"));
    try {
      String sha256 = copyHashing(source, temp);
      if (!Files.isRegularFile(file(sha256))) {
        AtomicOutput.moveIntoPlace(temp, file(sha256));
      }
      return sha256;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Removes the entries idle for longer than {@link #MAX_IDLE}, then the files no entry names. */
  private void prune() throws IOException {
    Instant oldest = clock.instant().minus(MAX_IDLE);
    Set<String> named = new HashSet<>();
    try (Stream<Path> entries = Files.list(dir.resolve("entries"))) {
      for (Path entry : entries.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        if (Files.getLastModifiedTime(entry).toInstant().isBefore(oldest)) {
          Files.deleteIfExists(entry);
          continue;
        }
        try {
          JSON.readValue(entry.toFile(), Entry.class).outputs().values().forEach(o -> named.add(o.sha256()));
        } catch (IOException e) {
          Files.deleteIfExists(entry);
        }
      }
    }
    try (Stream<Path> files = Files.list(dir.resolve("files"))) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (!name.startsWith(".") && !named.contains(name)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** Copies {@code from} to {@code to} and returns the sha256 of the bytes copied. */
  private static String copyHashing(Path from, Path to) throws IOException {
    try (InputStream in = Files.newInputStream(from);
        DigestOutputStream out = Sha256.hashing(Files.newOutputStream(to))) {
      in.transferTo(out);
      out.flush();
      return Sha256.hex(out.getMessageDigest());
    }
  }

  /** An entry that must not be served, and why. */
  private static final class Corrupt extends Exception {
    Corrupt(String why) {
      super(why);
    }
  }
}
