package org.bootfarm.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * A placing pass asks the artifact store about each component once, however many queued builds share it, and a
 * component gone since is seen by the next pass (its own answers), which fails the build naming it.
 */
@Tag("unit")
class HeldComponentsTest {
  @TempDir Path dir;

  @Test
  void aPassAsksAboutASharedComponentOnceAndTheNextPassSeesItGone() throws Exception {
    try (ArtifactStore artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults())) {
      byte[] content = "tether".getBytes(StandardCharsets.UTF_8);
      String tether = artifacts.put(Sha256.of(content), new ByteArrayInputStream(content)).sha256();
      HeldComponents held = new HeldComponents(artifacts);
      Map<String, Boolean> pass = new HashMap<>();
      for (int i = 0; i < 3; i++) {
        assertEquals(Optional.empty(), held.missing(build("b" + i, tether), pass));
      }
      assertEquals(Map.of(tether, true), pass, "one question for the three builds");
      assertTrue(artifacts.delete(tether));
      assertEquals(Optional.empty(), held.missing(build("b3", tether), pass), "this pass's answer stands");
      Optional<String> next = held.missing(build("b4", tether), new HashMap<>());
      assertTrue(next.orElse("").contains("needs component tether (sha256 " + tether + ")"), next::toString);
    }
  }

  private static BuildRecord build(String id, String tether) {
    return BuildRecord.queued(id, "debian-12", "bootstrap", Map.of("tether", tether), BuildPriority.NIGHTLY, "{}",
        Instant.parse("2026-12-07T06:00:00Z"), List.of(), "alice");
  }
}
