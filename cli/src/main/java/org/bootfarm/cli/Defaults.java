package org.bootfarm.cli;

import java.nio.file.Path;

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

  static Path keysDir(Path flag) {
    if (flag != null) {
      return flag.toAbsolutePath().normalize();
    }
    String env = System.getenv("BOOTFARM_KEYS");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath().normalize();
    }
    return Path.of("/etc/pki/rpm-gpg");
  }
}
