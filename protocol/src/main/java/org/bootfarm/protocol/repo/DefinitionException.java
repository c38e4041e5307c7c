package org.bootfarm.protocol.repo;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a repo definition is invalid; carries every problem found, not just the first. */
public final class DefinitionException extends Exception {
  private final Path directory;
  private final List<DefinitionProblem> problems;

  public DefinitionException(Path directory, List<DefinitionProblem> problems) {
    super("invalid repo definition " + directory + ":\n"
        + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n")));
    this.directory = directory;
    this.problems = List.copyOf(problems);
  }

  public Path directory() {
    return directory;
  }

  public List<DefinitionProblem> problems() {
    return problems;
  }
}
