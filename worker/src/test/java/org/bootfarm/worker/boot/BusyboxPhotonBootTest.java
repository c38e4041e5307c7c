package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.build.EngineProcess;
import org.bootfarm.worker.fixture.BusyboxPhotonRepo;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The rpm path, booted: fixture-busybox (tdnf, a Photon 2.0-layout repository made from Debian's
 * binaries whose userland is busybox, {@code /bin/init} a link to the multi-call binary, as busybox-
 * and toybox-based images ship it) built by the bootfarm engine gives an ISO that boots to tether and
 * passes the seed's checks; bootfarm's /bin/init replaced the link, not the binary it points at: the
 * ISO's busybox is the package's, byte for byte, and its applets still link to it. (Writing through
 * the link once made every applet run the init script, and the VM fork-bombed.)
 */
@Tag("boot")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(SeedBootChecks.BOOT_LANE)
class BusyboxPhotonBootTest extends SeedBootChecks {
  private static final String INIT_RESOURCE = "/org/bootfarm/worker/assemble/init";
  private static final String BUSYBOX = BusyboxPhotonRepo.MULTI_CALL_BINARY.substring(1);

  private BusyboxPhotonRepo repo;
  private Path packagedBusybox;
  private Map<String, CpioEntries.Entry> initramfs;

  @Override
  String workName() {
    return "boot-test-busybox-photon";
  }

  @Override
  Path iso(Path work) throws IOException, InterruptedException {
    long start = System.nanoTime();
    repo = BusyboxPhotonRepo.start(projectRoot().resolve("worker/target/busybox-photon-cache"));
    System.out.printf("the busybox photon repository was ready in %.1f s%n", (System.nanoTime() - start) / 1e9);
    Path definitions = work.resolve("defs");
    FileTrees.delete(definitions);
    Path definition = FixtureDefinitions.write(definitions, repo);
    EngineProcess.Run run = engineBuild(work, "out", definition, plainEnvironmentWrapper(), Map.of());
    Path iso = isoOf(work, "out", run);

    CpioEntries.Entry fromPackage = CpioEntries.ofRpm(repo.packageFile(BusyboxPhotonRepo.BUSYBOX), Set.of(BUSYBOX))
        .get(BUSYBOX);
    assertNotNull(fromPackage, "the busybox package holds no " + BusyboxPhotonRepo.MULTI_CALL_BINARY);
    packagedBusybox = work.resolve("busybox-from-package");
    Files.write(packagedBusybox, fromPackage.content());
    initramfs = CpioEntries.ofInitramfs(iso, work.resolve("initramfs"),
        Set.of(BUSYBOX, "bin/init", "bin/sh", "bin/mount", "sbin/switch_root"));
    return iso;
  }

  /**
   * The container disk gets the package's busybox, not the ISO's: the ISO's is what is under test,
   * and were it overwritten it must not run on this machine.
   */
  @Override
  Path containerDisk(Path iso, Path dir) throws IOException, InterruptedException {
    return ContainerDisk.withBusybox(packagedBusybox, dir);
  }

  @AfterAll
  void stopRepository() {
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  void multiCallBinaryInTheIsoIsTheOneInTheBusyboxPackage() throws IOException {
    CpioEntries.Entry inIso = initramfs.get(BUSYBOX);
    assertNotNull(inIso, "the initramfs has no " + BusyboxPhotonRepo.MULTI_CALL_BINARY);
    assertEquals(CpioEntries.Type.FILE, inIso.type(), inIso::toString);
    assertArrayEquals(Files.readAllBytes(packagedBusybox), inIso.content(),
        "the ISO's " + BusyboxPhotonRepo.MULTI_CALL_BINARY + " differs from the busybox package's: " + inIso);
  }

  @Test
  void initIsBootfarmsScriptAndTheAppletsStillLinkToBusybox() throws IOException {
    CpioEntries.Entry init = initramfs.get("bin/init");
    assertNotNull(init, "the initramfs has no /bin/init");
    assertEquals(CpioEntries.Type.FILE, init.type(), init::toString);
    assertArrayEquals(resource(INIT_RESOURCE), init.content(), "/bin/init is not bootfarm's sysv init script");
    for (String applet : List.of("bin/sh", "bin/mount", "sbin/switch_root")) {
      CpioEntries.Entry link = initramfs.get(applet);
      assertNotNull(link, "the initramfs has no /" + applet);
      assertEquals(CpioEntries.Type.SYMLINK, link.type(), link::toString);
      assertEquals(Path.of(applet).getParent().relativize(Path.of(BUSYBOX)).toString(), link.linkTarget(),
          link::toString);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = BusyboxPhotonBootTest.class.getResourceAsStream(name)) {
      assertNotNull(in, name + " is not on the classpath");
      return in.readAllBytes();
    }
  }
}
