package org.bootfarm.cli;

import java.nio.file.Path;
import org.bootfarm.protocol.repo.LoadOptions;

/** Where bootfarm keeps things when the operator does not say: flags win, then environment, then these. */
final class Defaults {
  private Defaults() {}

  static Path cacheDir(Path flag) {
    if (flag != null) {
      return flag.toAbsolutePath().normalize();
    }
    String env = System.getenv("BOOTFARM_CACHE_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath().normalize();
    }
    if ("root".equals(System.getProperty("user.name"))) {
      return Path.of("/var/cache/bootfarm");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "bootfarm");
  }

  /** The trusted-keys directory: the flag, else $BOOTFARM_KEYS, else /etc/pki/rpm-gpg (as check resolves it). */
  static Path keysDir(Path flag) {
    return LoadOptions.trustedKeysDir(flag == null ? null : flag.toString(), System.getenv())
        .toAbsolutePath().normalize();
  }
}
