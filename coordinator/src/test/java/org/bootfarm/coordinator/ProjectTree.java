package org.bootfarm.coordinator;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bootfarm.protocol.repo.LoadOptions;

/** Where the project's own files are for tests: the root holding repos/, and shared/keys beside it. */
public final class ProjectTree {
  private ProjectTree() {}

  public static Path root() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("repos")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no project root with repos/ above " + Path.of("").toAbsolutePath());
  }

  /** Load options that find the Photon key in ../shared/keys, as tests and CI do. */
  public static LoadOptions sharedKeys() {
    return new LoadOptions(root().resolve("../shared/keys").normalize(), false);
  }
}
