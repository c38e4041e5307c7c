package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build directory a build makes is its owner's alone, whatever the worker's umask. */
@Tag("tool")
class BuildDirectoryModeTest {

  @TempDir Path tmp;

  @Test
  void buildDirectoryIsMode0700() throws Exception {
    Path definition = FixtureDefinitions.write(tmp.resolve("defs"), FixtureDefinitions.TDNF,
        FixtureYumRepo.unreachableUrl());
    Files.writeString(definition.resolve("base.sh"), "#!/bin/bash\nexit 3\n"); // stop the build at once
    Path components = repoRoot().resolve("examples/components");
    BuildRequest request = new BuildRequest(definition, "bootstrap",
        Map.of("tether", components.resolve("tether"), "unpack", components.resolve("unpack")), tmp.resolve("out"),
        tmp.resolve("cache"), definition, false, Optional.empty(), OptionalLong.empty(), true, tmp.resolve("builds"));

    BuildResult result = new BuildEngine(PackageDrivers.standard()).run(request, (stage, text) -> {});

    assertEquals("HOOK", result.errorKind(), result::toString);
    List<Path> builds;
    try (Stream<Path> children = Files.list(tmp.resolve("builds"))) {
      builds = children.toList();
    }
    assertEquals(1, builds.size(), builds::toString);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(builds.get(0))));
  }

  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("examples/components")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no examples/components above " + Path.of("").toAbsolutePath());
  }
}
