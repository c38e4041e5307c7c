package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apt driver's own refusal of sources that switch apt's signature check off: a {@code [trusted=yes]}
 * source given to the build ({@code --apt-sources}, or the worker's own) never reaches mmdebstrap unless
 * the operator allowed the definition unsigned. Nothing is downloaded: the refusal comes first.
 */
@Tag("unit")
class AptDriverSignaturesTest {
  @TempDir Path dir;
  final List<String> log = new ArrayList<>();

  RepoDefinition definition(boolean allowed, List<String> unsigned) throws Exception {
    Path directory = Files.createDirectories(dir.resolve("debian-test"));
    Path init = Files.writeString(directory.resolve("init.sh"), "drivers=()\n");
    RepoSpec spec = new RepoSpec("debian-test", "apt", "/bin/init", "linux-image-cloud-amd64",
        Map.of("base", "busybox-static", "bootstrap", ""), Map.of());
    return new RepoDefinition(directory, spec, List.of(), List.of(), Optional.empty(), init, Optional.empty(),
        Optional.empty(), allowed, unsigned, List.of());
  }

  PackageSession session(RepoDefinition definition, Path sources) throws Exception {
    return new PackageSession(definition, Files.createDirectories(dir.resolve("root")),
        Files.createDirectories(dir.resolve("cache")), Files.createDirectories(dir.resolve("work")),
        Optional.of(sources), 1_700_000_000L, "base", (stage, text) -> log.add(text));
  }

  @Test
  void aTrustedSourceIsRefusedBeforeAnythingRunsUnlessTheDefinitionIsAllowedUnsigned() throws Exception {
    Path sources = Files.writeString(dir.resolve("operator.list"), """
        deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://127.0.0.1:9/debian bookworm main
        deb [trusted=yes] http://127.0.0.1:9/local bookworm main
        """);
    PackageSession refused = session(definition(false, List.of()), sources);

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> new AptDriver().install(refused, List.of("busybox-static")));

    assertEquals(BuildFailure.Kind.DEFINITION, failure.kind(), failure.getMessage());
    for (String part : List.of(sources.toString(), "line 2: trusted=yes", "signature check off",
        "--allow-unsigned debian-test")) {
      assertTrue(failure.getMessage().contains(part), () -> part + " not in: " + failure.getMessage());
    }
    assertEquals(List.of(), log, "no tool ran");
    assertFalse(Files.exists(dir.resolve("root/var")), "nothing was put into the root");

    PackageSession allowed = session(definition(true, List.of("worker apt sources: trusted=yes")), sources);
    AptSourcesFile read = AptDriver.sourcesOf(allowed);
    assertEquals(List.of("line 2: trusted=yes"), read.describeInsecure());
  }
}
