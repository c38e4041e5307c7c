package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.worker.fixture.ExampleComponents;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's own steps never follow a link a definition planted in its image trees: hooks of the
 * fixture-tdnf definition plant the links a busybox image ships (/bin/init to the multi-call binary)
 * and the ones an attacker would ({@code .tempfs_list} and {@code /etc/hostname} to host files,
 * {@code bootfs/boot} and {@code /var/cache} to host directories, a module's {@code .ko} to a host
 * file, {@code /etc/os-release} to a host file), and a real build on the fixture yum repository must
 * succeed with every host canary unchanged and the image made of what bootfarm placed; a hook that
 * swaps the rootfs itself for a link fails the build, naming it.
 */
@Tag("tool")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlantedLinksTest {
  private static final String KERNEL = "4.19.0-1.ph2-esx";
  private static final String SECRET = "root:$6$canary:19000:0:99999:7:::\n";

  private FixtureYumRepo repo;
  private Path dir;
  private Path canaryFile;
  private Path canaryDir;
  private Path rootfs;
  private Path bootfs;
  private BuildResult planted;
  private final StringBuilder plantedLog = new StringBuilder();
  private BuildResult swapped;
  private final StringBuilder swappedLog = new StringBuilder();

  @BeforeAll
  void buildWithPlantedLinks(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    repo = FixtureYumRepo.start();
    Path host = Files.createDirectories(dir.resolve("host"));
    canaryFile = Files.writeString(host.resolve("shadow"), SECRET);
    canaryDir = Files.createDirectories(host.resolve("spool"));
    Files.writeString(canaryDir.resolve("keep"), "kept\n");
    Files.createDirectories(dir.resolve("keys"));

    Path definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    hook(definition, "base.sh", String.join("\n",
        "R=$(rootfs_dir \"$PKGDIR\"); B=$(bootfs_dir \"$PKGDIR\")",
        "mkdir -p \"$R\"/{run,var,etc} \"$R/lib/modules/" + KERNEL + "/kernel/net/netfilter\"",
        "ln -s /run \"$R/var/run\"",
        "rmdir \"$B/boot\" 2>/dev/null || true",
        "ln -s " + canaryDir + " \"$B/boot\"",
        "ln -s " + canaryFile + " \"$R/lib/modules/" + KERNEL + "/kernel/net/netfilter/nf_nat.ko\"",
        "ln -s " + canaryFile + " \"$R/etc/os-release\""));
    hook(definition, "staging.sh", String.join("\n",
        "R=$(rootfs_dir \"$PKGDIR\")",
        "printf '\\177ELF multi-call binary\\n' > \"$R/bin/busybox\"",
        "chmod 755 \"$R/bin/busybox\"",
        "ln -sf busybox \"$R/bin/init\"",
        "ln -sf busybox \"$R/bin/mount\"",
        "ln -s " + canaryFile + " \"$R/.tempfs_list\"",
        "ln -s " + canaryFile + " \"$R/etc/hostname\"",
        "rm -rf \"$R/var/cache\"",
        "ln -s " + canaryDir + " \"$R/var/cache\""));
    planted = build(definition, "planted", plantedLog);
    try (Stream<Path> builds = Files.list(dir.resolve("cache-planted/builds"))) {
      Path buildDir = builds.findFirst().orElseThrow();
      rootfs = buildDir.resolve("stage/rootfs");
      bootfs = buildDir.resolve("stage/bootfs");
    }

    Path swapping = FixtureDefinitions.write(dir.resolve("defs-swap"), FixtureDefinitions.TDNF, repo);
    hook(swapping, "staging.sh", String.join("\n",
        "rm -rf \"$(rootfs_dir \"$PKGDIR\")\"",
        "ln -s " + canaryDir + " \"$(rootfs_dir \"$PKGDIR\")\""));
    swapped = build(swapping, "swapped", swappedLog);
  }

  @AfterAll
  void stopRepository() {
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  void hostCanariesAreUnchanged() throws IOException {
    assertEquals(SECRET, Files.readString(canaryFile));
    try (Stream<Path> files = Files.list(canaryDir)) {
      assertEquals(List.of(canaryDir.resolve("keep")), files.toList(), "the host directory gained or lost files");
    }
    assertEquals("kept\n", Files.readString(canaryDir.resolve("keep")));
  }

  @Test
  void buildWithPlantedLinksSucceeds() {
    assertTrue(planted.succeeded(), () -> planted.error() + "\n" + plantedLog);
  }

  @Test
  void initReplacesTheLinkAndTheMultiCallBinaryStays() throws IOException {
    assertFalse(Files.isSymbolicLink(rootfs.resolve("bin/init")), "/bin/init is still the link");
    assertTrue(Files.readString(rootfs.resolve("bin/init")).startsWith("#!/bin/bash"));
    assertArrayEquals("\177ELF multi-call binary\n".getBytes(StandardCharsets.ISO_8859_1),
        Files.readAllBytes(rootfs.resolve("bin/busybox")), "the multi-call binary was overwritten");
    assertEquals(Path.of("busybox"), Files.readSymbolicLink(rootfs.resolve("bin/mount")));
  }

  @Test
  void filesPlacedOverLinksAreRegularFilesOfTheImage() throws IOException {
    assertFalse(Files.isSymbolicLink(rootfs.resolve(".tempfs_list")));
    assertTrue(Files.readString(rootfs.resolve(".tempfs_list")).startsWith("/lib/modules/*"));
    Path module = rootfs.resolve("lib/modules/" + KERNEL + "/kernel/net/netfilter/nf_nat.ko");
    assertTrue(Files.isRegularFile(module, LinkOption.NOFOLLOW_LINKS), "the module was not unpacked over the link");
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(module)));
  }

  @Test
  void readsOfLinkedFilesStayInsideTheImage() throws IOException {
    String initrdRelease = Files.readString(rootfs.resolve("etc/initrd-release"));
    assertFalse(initrdRelease.contains("canary"), "a host file was copied into the image: " + initrdRelease);
  }

  @Test
  void theKernelWentIntoTheBootfsNotTheHostDirectory() throws IOException {
    assertTrue(Files.isSymbolicLink(bootfs.resolve("boot")));
    Path kernel = bootfs.resolve(canaryDir.getRoot().relativize(canaryDir)).resolve("vmlinuz64");
    assertTrue(Files.isRegularFile(kernel, LinkOption.NOFOLLOW_LINKS), "no kernel at " + kernel);
  }

  @Test
  void aHookSwappingTheRootfsForALinkFailsTheBuildNamingIt() {
    assertFalse(swapped.succeeded(), swappedLog::toString);
    assertTrue(swapped.error().contains("stage/rootfs") && swapped.error().contains("symbolic link"), swapped.error());
  }

  private BuildResult build(Path definition, String name, StringBuilder log) {
    BuildRequest request = new BuildRequest(definition, "bootstrap",
        Map.of("tether", ExampleComponents.of("tether"), "unpack", ExampleComponents.of("unpack")), dir.resolve("out-" + name),
        dir.resolve("cache-" + name), dir.resolve("keys"), false, Optional.empty(),
        OptionalLong.of(FixtureYumRepo.SOURCE_DATE_EPOCH), true);
    return new BuildEngine(PackageDrivers.standard()).run(request,
        (stage, text) -> log.append('[').append(stage).append("] ").append(text).append('\n'));
  }

  private static void hook(Path definition, String name, String body) throws IOException {
    Path hook = definition.resolve(name);
    Files.writeString(hook, "#!/bin/bash\n" + body + "\n");
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
