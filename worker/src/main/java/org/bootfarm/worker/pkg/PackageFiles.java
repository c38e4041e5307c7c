package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.worker.BuildFailure;

/**
 * Finds a lock's package files on the worker's disk by content: walks the directories a driver keeps
 * package files in, hashes the regular files with the driver's suffix (links are not followed), and maps
 * each locked sha256 to a file that has it.
 */
public final class PackageFiles {
  private PackageFiles() {}

  /**
   * The file of every package of {@code lock} (installed and removed, {@link Lock#inputs}) under {@code roots}
   * (missing roots are skipped).
   *
   * @throws BuildFailure INTEGRITY naming the packages no file under the roots holds
   */
  public static Map<String, Path> find(Lock lock, String suffix, List<Path> roots) throws BuildFailure {
    Set<String> wanted = lock.inputs().stream().map(LockedPackage::sha256).collect(Collectors.toSet());
    Map<String, Path> found = new HashMap<>();
    for (Path root : roots) {
      if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      List<Path> files;
      try (Stream<Path> walk = Files.walk(root)) {
        files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
            .filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
      } catch (IOException e) {
        throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot list the package files under " + root + ": " + e);
      }
      for (Path file : files) {
        if (found.size() == wanted.size()) {
          break;
        }
        try {
          String sha256 = Sha256.of(file);
          if (wanted.contains(sha256)) {
            found.putIfAbsent(sha256, file);
          }
        } catch (IOException e) {
          throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot read package file " + file + ": " + e);
        }
      }
    }
    List<String> missing = new ArrayList<>();
    for (LockedPackage p : lock.inputs()) {
      if (!found.containsKey(p.sha256())) {
        missing.add(p.describe() + " (sha256 " + p.sha256() + ")");
      }
    }
    if (!missing.isEmpty()) {
      throw new BuildFailure(BuildFailure.Kind.INTEGRITY, "the package file of " + String.join(", ", missing)
          + " is no longer in " + roots + ": the package cache changed during the build; build again");
    }
    return found;
  }
}
