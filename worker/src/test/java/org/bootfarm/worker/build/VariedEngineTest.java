package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.worker.BuildFailure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How a variation becomes the engine process's command line, which CPUs and locales a worker has,
 * and that a variation this worker cannot apply is refused before anything starts.
 */
@Tag("unit")
class VariedEngineTest {

  @Test
  void variedCommandSetsHostnameUmaskAndAffinityBeforeTheEngineStarts() {
    List<String> command = VariedEngine.command(BuildVariation.varied());
    assertEquals(List.of("unshare", "--uts", "/bin/sh", "-c",
        "printf %s bootfarm-rebuild > /proc/sys/kernel/hostname && umask 077 && exec taskset -c "
            + VariedEngine.allowedCpus().get(0) + " \"$@\"", "sh"), command.subList(0, 6));
    assertEquals(EngineMain.class.getName(), command.get(command.size() - 1));
    assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), command.get(6));
  }

  @Test
  void partialVariationChangesOnlyItsFields() {
    List<String> command = VariedEngine.command(new BuildVariation(null, "Pacific/Kiritimati", null, "077", null, null));
    assertEquals(List.of("/bin/sh", "-c", "umask 077 && exec \"$@\"", "sh"), command.subList(0, 4));
  }

  @Test
  void cpuListsAreReadAsTheKernelWritesThem() {
    assertEquals(List.of(0, 1, 2, 3, 6, 8, 9), VariedEngine.parseCpuList("0-3,6,8-9"));
    assertEquals(List.of(0), VariedEngine.parseCpuList("0"));
    assertEquals(Runtime.getRuntime().availableProcessors(), VariedEngine.allowedCpus().size());
  }

  @Test
  void localeNamesAreComparedAsGlibcNormalisesThem() {
    assertEquals("C.utf8", VariedEngine.normalisedLocale("C.UTF-8"));
    assertEquals("de_DE.utf8", VariedEngine.normalisedLocale("de_DE.UTF-8"));
    assertEquals("sr_RS.utf8@latin", VariedEngine.normalisedLocale("sr_RS.UTF-8@latin"));
    assertTrue(VariedEngine.isInstalledLocale("C.UTF-8"), "Debian 12's libc6 ships C.utf8");
    assertTrue(VariedEngine.isInstalledLocale("C"));
  }

  @Test
  void refusesMoreCpusThanTheWorkerMayUse() {
    BuildFailure refused = assertThrows(BuildFailure.class,
        () -> VariedEngine.checkApplicable(new BuildVariation(null, null, null, null, null, 4096)));
    assertEquals(BuildFailure.Kind.TOOL, refused.kind());
    assertTrue(refused.getMessage().contains("cpus 4096 is more than the "
        + VariedEngine.allowedCpus().size() + " CPUs this worker may run on"), refused.getMessage());
  }

  @Test
  void refusesALocaleThatIsNotInstalled() {
    BuildFailure refused = assertThrows(BuildFailure.class,
        () -> VariedEngine.checkApplicable(new BuildVariation(null, null, "xx_XX.UTF-8", null, null, null)));
    assertTrue(refused.getMessage().contains("locale xx_XX.UTF-8 is not installed"), refused.getMessage());
  }

  @Test
  void jobCarriesEveryFieldOfTheRequest() throws Exception {
    BuildRequest request = new BuildRequest(Path.of("/d/repo"), "bootstrap", Map.of("tether", Path.of("/c/t")),
        Path.of("/o"), Path.of("/cache"), Path.of("/keys"), true, Optional.of(Path.of("/apt.sources")),
        OptionalLong.of(42), true, Path.of("/cache/builds/x/y")).withAllowUnsigned(List.of("repo"));
    EngineMain.Job job = WireJson.read(WireJson.write(EngineMain.Job.of(request, List.of("dnf"))), EngineMain.Job.class);
    assertEquals(request, job.request());
    assertEquals(List.of("dnf"), job.packageManagers());
    BuildRequest usual = new BuildRequest(Path.of("/d/repo"), "bootstrap", Map.of(), Path.of("/o"), Path.of("/cache"),
        Path.of("/keys"), false, Optional.empty(), OptionalLong.empty(), false);
    assertEquals(Path.of("/cache/builds"), EngineMain.Job.of(usual, List.of()).request().buildsRoot());
  }
}
