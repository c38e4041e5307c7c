package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bootfarm.worker.build.EngineProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * repos/debian-12 built by the bootfarm engine, downloading only the package files the warm cache lacks,
 * then rebuilt from that build's record alone — its locked
 * package files as pinned inputs, apt sources pointed at a tripwire, an empty package cache — in another
 * build path, under another TZ, umask, hostname and CPU count ({@link RebuildFromRecord}): the rebuild
 * reaches no mirror and gives bit-identical outputs, and the ISO (sysv flavour of /bin/init) boots to
 * tether and passes the seed's checks.
 */
@Tag("boot")
@Tag("network")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(SeedBootChecks.BOOT_LANE)
class DebianBootTest extends SeedBootChecks {
  private RebuildFromRecord rebuild;
  private EngineProcess.Run plain;
  private Set<String> cachedBefore;

  @Override
  String workName() {
    return "boot-test";
  }

  @Override
  Path iso(Path work) throws IOException, InterruptedException {
    Path definition = projectRoot().resolve("repos/debian-12");
    cachedBefore = fileNames(projectRoot().resolve("worker/target/boot-cache/repos/debian-12/apt/archives"));
    plain = engineBuild(work, "out", definition, plainEnvironmentWrapper(), Map.of("TZ", "UTC"));
    return isoOf(work, "out", plain);
  }

  /** The rebuild (pinned to CPU 0) runs while the plain build's ISO boots: it reads that build's record alone. */
  @Override
  void whileBooting(Path work) throws IOException, InterruptedException {
    rebuild = RebuildFromRecord.of(work, "out", plain, projectRoot().resolve("repos/debian-12"), "bootstrap",
        Map.of("tether", component("tether"), "unpack", component("unpack")));
  }

  /**
   * A package file already in the warm cache is not downloaded again: the build downloads exactly the
   * installed packages' files the cache did not hold (none when an earlier build filled it).
   */
  @Test
  void buildDownloadsOnlyWhatTheWarmCacheLacked() {
    List<String> lacking = plain.result().inputFiles().values().stream().map(f -> Path.of(f).getFileName().toString())
        .filter(name -> !cachedBefore.contains(name)).sorted().toList();
    assertEquals(lacking.size(), plain.downloaded(), () -> "the cache held all but " + lacking);
  }

  private static Set<String> fileNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  @Test
  void buildsUnderVariedEnvironmentsAreBitIdentical() throws IOException {
    rebuild.assertBitIdentical();
  }

  @Test
  void rebuildInstallsFromThePinnedInputsAndReachesNoMirror() throws IOException {
    rebuild.assertInstalledFromThePinnedInputsAlone();
  }

  @Test
  void lockRecordsWhereEachPackageCameFrom() throws Exception {
    rebuild.assertLockRecordsWhereEachPackageCameFrom();
  }
}
