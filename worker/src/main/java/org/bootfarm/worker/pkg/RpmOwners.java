package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.sandbox.Sandbox;

/**
 * Which of some paths an installed package owns, asked of an image's rpm database with one {@code rpm -qf} for
 * all of them: rpm names each path no package owns on a line of its own ({@code file P is not owned by any
 * package}, or {@code error: file P: ...} for one it cannot look at) and exits with their count. When its
 * output does not add up to that count, each path is asked on its own, as one query per path did before
 * (a sandbox and an rpm start each; the dnf clean-up of a deep cache path asked seven).
 */
final class RpmOwners {
  private RpmOwners() {}

  /**
   * The paths of {@code paths} an installed package of {@code rootfs} owns; a path rpm cannot answer for counts
   * as not owned.
   */
  static Set<String> owned(Sandbox sandbox, String rootfs, String dbPath, List<String> paths,
      Map<String, String> environment) throws IOException {
    Set<String> owned = new LinkedHashSet<>();
    if (paths.isEmpty()) {
      return owned;
    }
    List<String> command = new ArrayList<>(List.of("rpm", "--root", rootfs, "--dbpath", dbPath, "-qf", "--"));
    command.addAll(paths);
    ExternalCommand.Result result = ExternalCommand.run(sandbox.command(command), environment, null, line -> {});
    Set<String> notOwned = notOwned(result.tail(), paths);
    if (notOwned != null && notOwned.size() == result.exitCode()) {
      paths.stream().filter(p -> !notOwned.contains(p)).forEach(owned::add);
      return owned;
    }
    for (String path : paths) {
      if (ExternalCommand.run(sandbox.command(List.of("rpm", "--root", rootfs, "--dbpath", dbPath, "-qf", "--", path)),
          environment, null, line -> {}).succeeded()) {
        owned.add(path);
      }
    }
    return owned;
  }

  /**
   * The paths rpm's output names as owned by no package, or null when a line names a path that was not asked
   * about (output this parser does not understand).
   */
  static Set<String> notOwned(List<String> lines, List<String> asked) {
    Set<String> named = new LinkedHashSet<>();
    for (String line : lines) {
      String path = null;
      if (line.startsWith("file ") && line.endsWith(" is not owned by any package")) {
        path = line.substring("file ".length(), line.length() - " is not owned by any package".length());
      } else if (line.startsWith("error: file ") && line.indexOf(": ", "error: file ".length()) > 0) {
        path = line.substring("error: file ".length(), line.indexOf(": ", "error: file ".length()));
      }
      if (path != null) {
        if (!asked.contains(path)) {
          return null;
        }
        named.add(path);
      }
    }
    return named;
  }
}
