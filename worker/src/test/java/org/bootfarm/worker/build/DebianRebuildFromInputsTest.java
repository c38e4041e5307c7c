package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.testkit.Tripwire;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.pkg.AptDriver;
import org.bootfarm.worker.pkg.AptSourcesFile;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.pkg.PinnedInputs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * repos/debian-12 (each target) built once from the worker's own apt sources, then rebuilt from its record
 * alone: the package files the first build installed, copied as {@code <sha256>.deb}, with the apt sources
 * pointed at a tripwire on 127.0.0.1 and an empty package cache. The rebuild's ISO and buildinfo are the
 * original's, bit for bit, and nothing connected to the tripwire.
 */
@Tag("network")
class DebianRebuildFromInputsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void bootstrapRebuiltFromArchivedDebsIsBitIdenticalAndReachesNoMirror() throws Exception {
    buildThenRebuildFromInputs(Target.BOOTSTRAP);
  }

  /** The appliance keeps its dpkg database (and apt's extended_states): those must not differ either. */
  @Test
  void applianceRebuiltFromArchivedDebsIsBitIdenticalAndReachesNoMirror() throws Exception {
    buildThenRebuildFromInputs(Target.APPLIANCE);
  }

  private void buildThenRebuildFromInputs(Target target) throws Exception {
    AptDriver apt = new AptDriver();
    assumeTrue(apt.unavailableReason().isEmpty(), () -> "apt driver unavailable: " + apt.unavailableReason());
    Path root = BuildDirectoryModeTest.repoRoot();
    Path definition = root.resolve("repos/debian-12");
    Map<String, Path> parts = new java.util.HashMap<>();
    for (String name : target.components()) {
      parts.put(name, root.resolve("examples/components").resolve(name));
    }
    Path work = Files.createTempDirectory("debian-rebuild");
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try {
      Path keys = Files.createDirectories(work.resolve("keys"));
      BuildRequest original = new BuildRequest(definition, target.id(), parts, work.resolve("original"),
          root.resolve("worker/target/boot-cache"), keys, false, Optional.empty(), OptionalLong.empty(), false,
          work.resolve("builds"), false);
      BuildResult first = new BuildEngine(PackageDrivers.standard()).run(original, (stage, line) -> log.add(line));
      assertEquals(BuildResult.SUCCEEDED, first.status(), () -> first.error() + "\n" + String.join("\n", log));
      BuildInfo info = JSON.readValue(work.resolve("original/buildinfo.json").toFile(), BuildInfo.class);

      List<String> uris = AptSourcesFile.read(AptDriver.defaultSources()).uris();
      for (LockedPackage p : info.lock().packages()) {
        assertNotNull(p.origin(), () -> p.describe() + " was locked without an origin");
        assertTrue(p.origin().repository().matches("[a-z0-9.-]+/[a-z0-9-]+"),
            () -> p.describe() + ": repository " + p.origin().repository() + " is not suite/component");
        assertTrue(uris.stream().anyMatch(p.origin().url()::startsWith) && p.origin().url().endsWith(".deb"),
            () -> p.describe() + ": url " + p.origin().url() + " is not a package file of " + uris);
      }
      assertEquals(info.lock().packages().size(), first.inputFiles().size(), "every locked package has its file");

      Path inputs = Files.createDirectories(work.resolve("inputs"));
      for (Map.Entry<String, String> e : first.inputFiles().entrySet()) {
        Files.copy(Path.of(e.getValue()), inputs.resolve(e.getKey() + ".deb"));
      }

      try (Tripwire tripwire = Tripwire.onFreePort()) {
        Path tripwireSources = Files.writeString(work.resolve("tripwire.sources"), "Types: deb\nURIs: http://127.0.0.1:"
            + tripwire.port() + "/debian\nSuites: bookworm\nComponents: main\n");
        BuildRequest rebuild = new BuildRequest(definition, target.id(), parts, work.resolve("rebuild"),
            work.resolve("empty-cache"), keys, false, Optional.of(tripwireSources), OptionalLong.empty(), false,
            work.resolve("builds"), false).pinnedTo(new PinnedInputs(inputs, info.lock().packages()),
                info.sourceDateEpoch());
        log.clear();
        BuildResult second = new BuildEngine(PackageDrivers.standard()).run(rebuild, (stage, line) -> log.add(line));
        assertEquals(BuildResult.SUCCEEDED, second.status(), () -> second.error() + "\n" + String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.contains("installed from the pinned inputs, none downloaded")),
            () -> "the rebuild did not install from its pinned inputs:\n" + String.join("\n", log));
        System.out.printf("rebuilt %d packages from their archived files: %s%n", info.lock().packages().size(),
            iso(second));

        assertEquals(iso(first), iso(second), "the rebuilt ISO differs from the original");
        assertEquals(Files.readString(work.resolve("original/buildinfo.json")),
            Files.readString(work.resolve("rebuild/buildinfo.json")), "the rebuild's buildinfo differs");
        assertEquals(first.stages().stream().map(s -> s.name() + " " + s.sha256()).toList(),
            second.stages().stream().map(s -> s.name() + " " + s.sha256()).toList());
        assertEquals(0, second.packageCache().downloaded(), "the rebuild downloaded package files");
        assertEquals(0, tripwire.connections(), "the rebuild connected to the apt sources it was given");
        Path archives = work.resolve("empty-cache/repos/debian-12/apt/archives");
        assertFalse(Files.isDirectory(archives) && hasFiles(archives), "the rebuild put package files into " + archives);
      }
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  private static ArtifactRecord iso(BuildResult result) {
    return result.artifacts().stream().filter(a -> a.name().endsWith(".iso")).findFirst()
        .orElseThrow(() -> new AssertionError("no ISO among " + result.artifacts()));
  }

  private static boolean hasFiles(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.findAny().isPresent();
    }
  }
}
