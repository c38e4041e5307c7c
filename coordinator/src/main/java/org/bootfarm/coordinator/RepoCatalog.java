package org.bootfarm.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.repo.DefinitionArchive;
import org.bootfarm.protocol.repo.DefinitionException;
import org.bootfarm.protocol.repo.DefinitionProblem;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * The repo definitions the coordinator accepts builds of: every directory under its repos directory,
 * loaded and checked, with the exact bytes that were checked ({@link Entry#archive}, kept by a build's
 * submission under {@link Entry#digest}). A definition with problems is listed with them and refused at
 * submission. The catalogue is an immutable snapshot swapped whole by {@link #reload}: readers see the old
 * snapshot or the new one, never half of each (docs/adr/0034).
 */
public final class RepoCatalog {
  /** How often a definition may change under one read before it is listed as changing (read again later). */
  private static final int READS = 3;

  /**
   * One definition directory: loaded, or the problems that kept it from loading.
   *
   * @param digest the definition digest of the bytes loaded (null when the directory could not be read)
   * @param archive those bytes ({@link DefinitionArchive}); null when the definition did not load
   */
  public record Entry(String name, Optional<RepoDefinition> definition, List<DefinitionProblem> problems,
      String digest, byte[] archive) {
    public Entry(String name, Optional<RepoDefinition> definition, List<DefinitionProblem> problems) {
      this(name, definition, problems, null, null);
    }
  }

  private final Path reposDir;
  private final LoadOptions options;
  private volatile Map<String, Entry> snapshot;

  private RepoCatalog(Path reposDir, LoadOptions options, Map<String, Entry> entries) {
    this.reposDir = reposDir;
    this.options = options;
    this.snapshot = entries;
  }

  /** Reads every definition directory under {@code reposDir}. */
  public static RepoCatalog read(Path reposDir, LoadOptions options) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    for (Path dir : directories(reposDir)) {
      entries.put(dir.getFileName().toString(), load(dir, options));
    }
    return new RepoCatalog(reposDir, options, Collections.unmodifiableMap(entries));
  }

  public List<Entry> entries() {
    return new ArrayList<>(snapshot.values());
  }

  public Optional<Entry> find(String name) {
    return Optional.ofNullable(snapshot.get(name));
  }

  /**
   * Reads again the definitions whose directory digest changed since they were loaded, the added ones, and
   * drops the removed ones ({@code everything}: reads every definition again, e.g. after trusted keys changed),
   * then swaps the snapshot; returns one line per change, none when nothing changed.
   */
  public synchronized List<String> reload(boolean everything) throws IOException {
    Map<String, Entry> current = snapshot;
    Map<String, Entry> next = new TreeMap<>();
    List<String> changes = new ArrayList<>();
    for (Path dir : directories(reposDir)) {
      String name = dir.getFileName().toString();
      Entry before = current.get(name);
      if (!everything && before != null && before.digest() != null && before.digest().equals(digestOrNull(dir))) {
        next.put(name, before);
        continue;
      }
      Entry after = load(dir, options);
      next.put(name, after);
      String change = change(name, before, after);
      if (change != null) {
        changes.add(change);
      }
    }
    for (String name : current.keySet()) {
      if (!next.containsKey(name)) {
        changes.add("repos: " + name + " removed; builds of it are refused from now on (builds already accepted"
            + " keep the definition they were submitted with)");
      }
    }
    if (!changes.isEmpty() || !current.keySet().equals(next.keySet())) {
      snapshot = Collections.unmodifiableMap(next);
    }
    return changes;
  }

  private static String change(String name, Entry before, Entry after) {
    if (after.definition().isEmpty()) {
      if (before != null && before.definition().isEmpty() && Objects.equals(before.problems(), after.problems())) {
        return null;
      }
      return "repos: " + name + (before == null ? " added but" : "") + " now invalid: "
          + String.join("; ", after.problems().stream().map(Object::toString).toList())
          + "; builds of it are refused until it is fixed";
    }
    if (before == null) {
      return "repos: " + name + " added, digest " + shortDigest(after.digest()) + "; builds of it are accepted";
    }
    if (Objects.equals(before.digest(), after.digest()) && before.definition().isPresent()) {
      return null;
    }
    if (before.definition().isEmpty()) {
      return "repos: " + name + " valid again, digest " + shortDigest(after.digest())
          + "; builds submitted from now on build it";
    }
    return "repos: " + name + " changed, digest " + shortDigest(before.digest()) + " -> " + shortDigest(after.digest())
        + "; builds submitted from now on build it";
  }

  /** The first 12 hex digits of a digest, as {@code bootfarm repos} shows it (log lines stay ASCII). */
  public static String shortDigest(String digest) {
    return digest == null ? "-" : digest.substring(0, Math.min(12, digest.length()));
  }

  /**
   * Loads one definition and the bytes it loaded from: the directory's digest before the load must be the
   * sha256 of the archive packed after it, or the directory changed under the load and it is read again.
   */
  private static Entry load(Path dir, LoadOptions options) {
    String name = dir.getFileName().toString();
    for (int read = 1; ; read++) {
      String before;
      try {
        before = RepoDefinitionLoader.digest(dir);
      } catch (UncheckedIOException e) {
        return new Entry(name, Optional.empty(), List.of(new DefinitionProblem(dir.toString(), "",
            "cannot read the definition: " + e.getCause().getMessage())), null, null);
      }
      RepoDefinition definition;
      try {
        definition = RepoDefinitionLoader.load(dir, options);
      } catch (DefinitionException e) {
        return new Entry(name, Optional.empty(), e.problems(), before, null);
      }
      byte[] archive;
      try {
        archive = DefinitionArchive.pack(dir);
      } catch (UncheckedIOException e) {
        return new Entry(name, Optional.empty(), List.of(new DefinitionProblem(dir.toString(), "",
            "cannot read the definition: " + e.getCause().getMessage())), before, null);
      }
      if (DefinitionArchive.digest(archive).equals(before)) {
        try {
          DefinitionArchive.unpack(archive);
        } catch (DefinitionArchive.MalformedArchiveException e) {
          return new Entry(name, Optional.empty(), List.of(new DefinitionProblem(dir.toString(), "", e.getMessage())),
              before, null);
        }
        return new Entry(name, Optional.of(definition), List.of(), before, archive);
      }
      if (read == READS) {
        return new Entry(name, Optional.empty(), List.of(new DefinitionProblem(dir.toString(), "",
            "changed while it was read " + READS + " times in a row: finish editing it; it is read again on its"
            + " next change or on SIGHUP")), null, null);
      }
    }
  }

  private static String digestOrNull(Path dir) {
    try {
      return RepoDefinitionLoader.digest(dir);
    } catch (UncheckedIOException e) {
      return null;
    }
  }

  private static List<Path> directories(Path reposDir) throws IOException {
    try (Stream<Path> list = Files.list(reposDir)) {
      return list.filter(Files::isDirectory).sorted().toList();
    }
  }
}
