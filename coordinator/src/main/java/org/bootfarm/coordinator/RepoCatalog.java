package org.bootfarm.coordinator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.repo.DefinitionException;
import org.bootfarm.protocol.repo.DefinitionProblem;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * The repo definitions the coordinator accepts builds of: every directory under its repos
 * directory, loaded and checked when the catalog is read. A definition with problems is listed
 * with them and refused at submission.
 */
public final class RepoCatalog {
  /** One definition directory: loaded, or the problems that kept it from loading. */
  public record Entry(String name, Optional<RepoDefinition> definition, List<DefinitionProblem> problems) {}

  private final Map<String, Entry> entries;

  private RepoCatalog(Map<String, Entry> entries) {
    this.entries = entries;
  }

  /** Reads every definition directory under {@code reposDir}. */
  public static RepoCatalog read(Path reposDir, LoadOptions options) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    List<Path> dirs;
    try (Stream<Path> list = Files.list(reposDir)) {
      dirs = list.filter(Files::isDirectory).sorted().toList();
    }
    for (Path dir : dirs) {
      String name = dir.getFileName().toString();
      try {
        entries.put(name, new Entry(name, Optional.of(RepoDefinitionLoader.load(dir, options)), List.of()));
      } catch (DefinitionException e) {
        entries.put(name, new Entry(name, Optional.empty(), e.problems()));
      }
    }
    return new RepoCatalog(entries);
  }

  public List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  public Optional<Entry> find(String name) {
    return Optional.ofNullable(entries.get(name));
  }
}
