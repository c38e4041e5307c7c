package org.bootfarm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bootfarm.coordinator.queue.StoreDatabase;
import picocli.CommandLine.Option;

/**
 * The coordinator's {@code --store} and where its password comes from: {@code --store-password-file} (first line),
 * else the environment variable {@value #PASSWORD_ENV}, never the command line, which every local user can read.
 */
record StoreFlags(String url, Path passwordFile, Map<String, String> environment) {
  static final String PASSWORD_ENV = "BOOTFARM_STORE_PASSWORD";

  /** The coordinator's flags for its store (a picocli mixin). */
  static final class Options {
    @Option(names = "--store", paramLabel = "URL",
        description = "keep builds, nightly runs and pins in this PostgreSQL database, shared by every coordinator of"
            + " the farm: postgresql://HOST:PORT/DB?user=USER (password from --store-password-file or"
            + " $BOOTFARM_STORE_PASSWORD, never in the URL); needed for more than one coordinator (default: SQLite in"
            + " <data-dir>/coordinator)")
    String url;

    @Option(names = "--store-password-file", paramLabel = "FILE",
        description = "the file whose first line is the --store database password (default: $BOOTFARM_STORE_PASSWORD)")
    Path passwordFile;

    /** What these flags and the environment name. */
    StoreFlags flags() {
      return new StoreFlags(url, passwordFile, System.getenv());
    }
  }

  /** The database, or null for the default SQLite file in the data dir; an error names the flag to fix. */
  StoreDatabase database() {
    if (url == null || url.isBlank()) {
      if (passwordFile != null) {
        throw new IllegalArgumentException("--store-password-file is for --store postgresql://...; without --store"
            + " the coordinator keeps its builds in SQLite in its data dir");
      }
      return null;
    }
    return StoreDatabase.postgresql(url.strip(), password());
  }

  private String password() {
    if (passwordFile != null) {
      try {
        String first = Files.readAllLines(passwordFile).stream().findFirst().orElse("").strip();
        if (first.isEmpty()) {
          throw new IllegalArgumentException("--store-password-file " + passwordFile + " is empty: write the"
              + " password of the --store user on its first line");
        }
        return first;
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read --store-password-file " + passwordFile + ": " + e.getMessage(),
            e);
      }
    }
    String fromEnvironment = environment.get(PASSWORD_ENV);
    return fromEnvironment == null || fromEnvironment.isEmpty() ? null : fromEnvironment;
  }
}
