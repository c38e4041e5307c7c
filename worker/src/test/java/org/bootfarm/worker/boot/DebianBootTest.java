package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.build.EngineProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * repos/debian-12 built by the bootfarm engine twice — the second time in another build path,
 * under another TZ, umask, hostname and CPU count, from the warm cache — gives bit-identical
 * outputs, and the ISO (sysv flavour of /bin/init) boots to tether and passes the seed's checks.
 */
@Tag("boot")
@Tag("network")
class DebianBootTest extends SeedBootChecks {
  private EngineProcess.Run plain;
  private EngineProcess.Run varied;

  @Override
  String workName() {
    return "boot-test";
  }

  @Override
  Path iso(Path work) throws IOException, InterruptedException {
    Path definition = projectRoot().resolve("repos/debian-12");
    plain = engineBuild(work, "out", definition, plainEnvironmentWrapper(), Map.of("TZ", "UTC"));
    varied = engineBuild(work, "elsewhere/deeper/out", definition,
        List.of("unshare", "--uts", "/bin/sh", "-c",
            "hostname bootfarm-varied-host && umask 077 && exec taskset -c 0 \"$@\"", "sh"),
        Map.of("TZ", "Pacific/Kiritimati"));
    return isoOf(work, "out", plain);
  }

  @Test
  void buildsUnderVariedEnvironmentsAreBitIdentical() {
    assertEquals(plain.result().stages().stream().map(s -> s.name() + " " + s.sha256()).toList(),
        varied.result().stages().stream().map(s -> s.name() + " " + s.sha256()).toList());
    assertEquals(plain.result().artifacts(), varied.result().artifacts());
  }

  @Test
  void secondBuildDownloadsNoPackage() {
    assertEquals(0, varied.downloaded(), "the warm build downloaded package files");
  }
}
