package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A debian-12 bootstrap with systemd's udev in it gets the systemd flavour of /bin/init: udevd finds
 * the hardware and the containerfs label, is stopped before switch_root, and the seed's checks pass
 * as with the sysv flavour.
 */
class DebianSystemdFlavourBootTest extends SeedBootChecks {

  @Override
  String workName() {
    return "boot-test-systemd";
  }

  @Override
  Path iso(Path work) throws IOException, InterruptedException {
    return plainPipelineIso(work, Map.of("EXTRA_PACKAGES", "udev"));
  }

  @Test
  void udevFindsTheDiskAndIsGoneBeforeTether() {
    assertTrue(boot.console().lines().anyMatch(
            line -> line.startsWith("bootstrap-init: kernel ") && line.endsWith(", systemd flavour")),
        () -> "/bin/init is not the systemd flavour:\n" + boot.console());
    assertTrue(boot.console().contains("mounted /dev/disk/by-label/containerfs at /mnt/containerfs"),
        () -> "udev did not make /dev/disk/by-label/containerfs:\n" + boot.console());
    List<String> processes = processes();
    assertTrue(processes.stream().noneMatch(p -> p.contains("udevd")),
        () -> "systemd-udevd outlived the switch to the container:\n" + String.join("\n", processes));
  }
}
