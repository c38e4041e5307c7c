package org.bootfarm.worker.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker advertises the package managers it can run, its disk, and its warm repo caches. */
@Tag("unit")
class WorkerDescriptionTest {

  @Test
  void warmCachesAreTheRepoDirectoriesWithContentAndTheirNewestMetadata(@TempDir Path cache) throws Exception {
    Path repomd = cache.resolve("repos/photon-2.0/dnf/photon-abc/repodata/repomd.xml");
    Files.createDirectories(repomd.getParent());
    Files.writeString(repomd, "<repomd/>");
    Files.setLastModifiedTime(repomd, FileTime.from(Instant.parse("2026-11-20T10:00:00Z")));
    Files.write(cache.resolve("repos/photon-2.0/dnf/photon-abc/pkg.rpm"), new byte[1000]);
    Files.createDirectories(cache.resolve("repos/empty-1/dnf"));
    Path release = cache.resolve("repos/debian-12/apt/lists/x_InRelease");
    Files.createDirectories(release.getParent());
    Files.write(release, new byte[10]);

    List<WorkerInfo.WarmCache> caches = WorkerDescription.warmCaches(cache);
    assertEquals(List.of("debian-12", "photon-2.0"), caches.stream().map(WorkerInfo.WarmCache::repo).toList(),
        "a repo directory without files is not warm");
    WorkerInfo.WarmCache photon = caches.get(1);
    assertEquals(1009, photon.sizeBytes());
    assertEquals("2026-11-20T10:00:00Z", photon.metadataRevision());
  }

  @Test
  void describesWhatThisWorkerCanRun(@TempDir Path cache) throws Exception {
    WorkerInfo info = WorkerDescription.describe("w1", "node-1", PackageDrivers.standard(), cache.resolve("not-yet"), 2, 0, 1000, List.of());
    assertEquals("w1", info.id());
    assertEquals("x86_64", info.arch());
    assertTrue(info.packageManagers().containsAll(List.of("dnf", "tdnf", "yum", "apt")), info::toString);
    assertTrue(info.freeDiskBytes() > 0);
    assertEquals(List.of(), info.warmCaches());
  }

  @Test
  void workerLimitedToAptAdvertisesOnlyAptAndRefusesWhatItCannotRun(@TempDir Path cache) throws Exception {
    PackageDrivers aptOnly = PackageDrivers.standard().limitedTo(List.of("apt"));
    WorkerInfo info = WorkerDescription.describe("w1", "node-1", aptOnly, cache, 1, 0, 1000, List.of());
    assertEquals(List.of("apt"), info.packageManagers());
    IllegalArgumentException unknown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PackageDrivers.standard().limitedTo(List.of("apt", "pacman")));
    assertTrue(unknown.getMessage().contains("cannot run pacman") && unknown.getMessage().contains("tdnf"),
        unknown.getMessage());
  }

  @Test
  void aBadDriverSettingInTheWorkersEnvironmentStopsItsStartNamingTheVariable() {
    PackageDrivers.checkEnvironment(java.util.Map.of());
    PackageDrivers.checkEnvironment(java.util.Map.of("BOOTFARM_APT_CONNECTIONS", "1"));
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PackageDrivers.checkEnvironment(java.util.Map.of("BOOTFARM_APT_CONNECTIONS", "many")));
    assertTrue(bad.getMessage().startsWith("BOOTFARM_APT_CONNECTIONS=many on this worker is no number from 1 to 16"),
        bad.getMessage());
  }
}
