package org.bootfarm.worker.boot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The debian-12 bootstrap ISO (sysv flavour of /bin/init) boots to tether and passes the seed's checks.
 * The ISO comes from bench/plain-pipeline.sh, or from the file named by the system property
 * {@code bootfarm.boot.iso}.
 */
class DebianBootTest extends SeedBootChecks {

  @Override
  String workName() {
    return "boot-test";
  }

  @Override
  Path iso(Path work) throws IOException, InterruptedException {
    String given = System.getProperty("bootfarm.boot.iso");
    if (given != null && !given.isBlank()) {
      return Path.of(given);
    }
    return plainPipelineIso(work, Map.of());
  }
}
