package org.bootfarm.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.fixture.HostCanaries;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * depmod as a build runs it, in its sandbox: it indexes an image's modules, and an image whose
 * module directory is a link to a directory on the host cannot make it write there.
 */
@Tag("unit")
class KernelTreeDepmodTest {

  @TempDir Path tmp;
  final List<String> lines = new ArrayList<>();

  @Test
  void depmodIndexesTheImagesModules() throws Exception {
    Path rootfs = tmp.resolve("rootfs");
    module(Files.createDirectories(rootfs.resolve("lib/modules/4.19.0/kernel/drivers/net")), "vmxnet3");

    KernelTree kernel = KernelTree.find(ImageRoot.of(rootfs), "linux");
    kernel.depmod((stage, text) -> lines.add(text), "base", 1_700_000_000L);

    assertEquals(List.of("kernel/drivers/net/vmxnet3.ko:"),
        Files.readAllLines(rootfs.resolve("lib/modules/4.19.0/modules.dep")));
  }

  @Test
  void depmodCannotWriteThroughTheImagesLinkOntoTheHost() throws Exception {
    assumeTrue(ExternalCommand.runningAsRoot(), "builds run depmod as root");
    try (HostCanaries canaries = new HostCanaries()) {
      Path hostDirectory = tmp.resolve("host/modules");
      module(Files.createDirectories(hostDirectory.resolve("kernel")), "vmxnet3");
      canaries.plant(hostDirectory.resolve("README"));
      canaries.watch(hostDirectory);
      Path rootfs = tmp.resolve("rootfs");
      Files.createDirectories(rootfs.resolve("lib/modules"));
      // an image (base.sh or a package) links its module directory to an absolute path that is a
      // directory in the image (so the worker's own steps, which resolve links inside the tree, find
      // a kernel) and on the host too: the host's depmod follows the link to the host's
      Files.createSymbolicLink(rootfs.resolve("lib/modules/4.19.0"), hostDirectory);
      module(Files.createDirectories(rootfs.resolve(hostDirectory.toString().substring(1)).resolve("kernel")), "vmxnet3");
      KernelTree kernel = KernelTree.find(ImageRoot.of(rootfs), "linux");

      BuildFailure failure = assertThrows(BuildFailure.class,
          () -> kernel.depmod((stage, text) -> lines.add(text), "base", 1_700_000_000L));

      assertEquals(BuildFailure.Kind.TOOL, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains("depmod failed for kernel 4.19.0"), failure.getMessage());
      canaries.assertUntouched();
    }
  }

  /** Compiles the fixture module {@code name} into {@code dir/name.ko}. */
  private void module(Path dir, String name) throws IOException {
    Path source = tmp.resolve(name + ".c");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("fixture-rpms/modules/" + name + ".c")) {
      Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    ExternalCommand.Result result = ExternalCommand.run(List.of("gcc", "-c", "-O2", "-o",
        dir.resolve(name + ".ko").toString(), source.toString()), Map.of(), null, lines::add);
    assertEquals(0, result.exitCode(), lines::toString);
  }
}
