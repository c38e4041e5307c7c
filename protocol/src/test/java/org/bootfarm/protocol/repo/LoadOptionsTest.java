package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Where the trusted keys come from: --keys, then BOOTFARM_KEYS, then the worker's default. */
@Tag("unit")
class LoadOptionsTest {

  @Test
  void keysFlagWinsOverEnvironment() {
    assertEquals(Path.of("/flag"), LoadOptions.trustedKeysDir("/flag", Map.of("BOOTFARM_KEYS", "/env")));
  }

  @Test
  void environmentWinsOverDefault() {
    assertEquals(Path.of("/env"), LoadOptions.trustedKeysDir(null, Map.of("BOOTFARM_KEYS", "/env")));
  }

  @Test
  void defaultIsTheRpmKeyDirectory() {
    assertEquals(Path.of("/etc/pki/rpm-gpg"), LoadOptions.trustedKeysDir(null, Map.of()));
    assertEquals(Path.of("/etc/pki/rpm-gpg"), LoadOptions.defaults().trustedKeysDir());
  }
}
