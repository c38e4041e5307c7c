package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.bootfarm.worker.process.ExternalCommand;

/**
 * bootfarm's stand-in for mmdebstrap's {@code mmtarfilter}, the program mmdebstrap pipes every essential package
 * through when it extracts it with dpkg path filters (docs/adr/0060). The stand-in ({@code tar-path-filter.pl})
 * drops exactly the members mmtarfilter drops and passes the rest through unchanged, without a Python start and a
 * re-encoding per package; what it does not read as Python does, it hands to the real mmtarfilter. It is written
 * into a directory of the build's own, which goes first on mmdebstrap's PATH.
 */
final class TarPathFilter {

  /** The resource beside this class. */
  static final String RESOURCE = "tar-path-filter.pl";

  /** The name mmdebstrap runs it by. */
  static final String PROGRAM = "mmtarfilter";

  private TarPathFilter() {}

  /** Writes the filter as {@link #PROGRAM} into a new directory under {@code parent}, and returns the directory. */
  static Path install(Path parent) throws IOException {
    Path dir = Files.createTempDirectory(Files.createDirectories(parent), "path-filter-");
    Path program = dir.resolve(PROGRAM);
    try (InputStream in = TarPathFilter.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException("the worker's jar lacks " + RESOURCE + ": rebuild it (mvn package)");
      }
      Files.write(program, in.readAllBytes());
    }
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("r-xr-xr-x"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** The search path that finds the filter in {@code dir} first, then the build environment's programs. */
  static String searchPath(Path dir) {
    return dir.toAbsolutePath() + ":" + ExternalCommand.PATH;
  }
}
