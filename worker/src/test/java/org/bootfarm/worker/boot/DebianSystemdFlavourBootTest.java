package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import org.bootfarm.worker.build.EngineProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A debian-12 bootstrap with systemd's udev in it gets the systemd flavour of /bin/init: udevd finds
 * the hardware and the containerfs label, is stopped before switch_root, and the seed's checks pass
 * as with the sysv flavour.
 */
@Tag("boot")
@Tag("network")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(SeedBootChecks.BOOT_LANE)
class DebianSystemdFlavourBootTest extends SeedBootChecks {

  @Override
  String workName() {
    return "boot-test-systemd";
  }

  @Override
  Path iso(Path work) throws IOException, InterruptedException {
    // a copy of debian-12 with systemd's udev in its base packages (the name must stay debian-12)
    Path definition = work.resolve("defs/debian-12");
    copyDefinition(projectRoot().resolve("repos/debian-12"), definition);
    Path spec = definition.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replaceFirst("\"base\": \"", "\"base\": \"udev "));
    EngineProcess.Run run = engineBuild(work, "out", definition, plainEnvironmentWrapper(), Map.of());
    return isoOf(work, "out", run);
  }

  private static void copyDefinition(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
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
