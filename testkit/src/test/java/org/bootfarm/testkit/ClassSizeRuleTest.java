package org.bootfarm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Keeps main classes small enough to change in an afternoon (issue 12): a main source file over
 * {@value #LIMIT} lines must be named here with the one concern it owns. A class that grows past the limit
 * by taking on a second concern (as {@code CoordinatorDaemon} and {@code WorkerAgent} once did, at 744 and
 * 713 lines) fails this test: split it, or, when it is one large concern, add it below with that concern.
 */
@Tag("unit")
class ClassSizeRuleTest {

  static final int LIMIT = 400;

  /** The large classes that each do one thing, and what that thing is. */
  static final Map<String, String> ONE_CONCERN = Map.of(
      "ArtifactStore.java", "the content-addressed artifact store on disk",
      "SqlBuildStore.java", "the durable build store: SQL for every build state",
      "RepoDefinitionLoader.java", "reading and checking a repo definition, field by field",
      "DnfDriver.java", "driving dnf/rpm for a root (one driver per package manager)",
      "AptDriver.java", "driving mmdebstrap/apt for a root (one driver per package manager)",
      "ClientCommands.java", "the CLI's client subcommands (submit, status, logs, fetch, ...) as picocli classes",
      "ApiHttpServer.java", "the HTTP API's routes, each translated to one call of the farm's APIs");

  @Test
  void noMainClassIsLargeUnlessItOwnsOneConcern() throws IOException {
    Map<String, Integer> large = new TreeMap<>();
    int seen = 0;
    for (Path source : mainSources()) {
      seen++;
      int lines = Files.readAllLines(source).size();
      if (lines > LIMIT && !ONE_CONCERN.containsKey(source.getFileName().toString())) {
        large.put(source.toString(), lines);
      }
    }
    assertTrue(seen > 150, "found the modules' main sources: " + seen);
    assertEquals(Map.of(), large, "main classes over " + LIMIT + " lines: split each by concern (one class owns"
        + " one decision), or name it in ONE_CONCERN with the single concern it owns");
  }

  @Test
  void theCoordinatorDaemonAndTheWorkerAgentOnlyWire() throws IOException {
    for (Path source : mainSources()) {
      String name = source.getFileName().toString();
      if (name.equals("CoordinatorDaemon.java") || name.equals("WorkerAgent.java")) {
        int lines = Files.readAllLines(source).size();
        assertTrue(lines < LIMIT, source + " has " + lines + " lines; it wires, the decisions live elsewhere");
      }
    }
  }

  /** The *.java files under every module's src/main/java. */
  static List<Path> mainSources() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<Path> found = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path tree : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
        try (Stream<Path> files = Files.walk(tree)) {
          files.filter(f -> f.toString().endsWith(".java")).sorted().forEach(found::add);
        }
      }
    }
    return found;
  }
}
