package org.bootfarm.coordinator.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The farm's builder id: chosen once beside the first key and the same on every later start, after the key is
 * rotated and on a coordinator given the shared key directory; an operator's {@code --builder-id} wins; a builder
 * id that is no absolute URI is refused naming where it came from.
 */
@Tag("unit")
class BuilderIdTest {
  @TempDir Path dir;

  @Test
  void theFarmKeepsOneBuilderIdAcrossRestartsAndRotation() throws Exception {
    SigningKeys first = SigningKeys.open(dir, null);
    String id = BuilderId.of(null, first);
    assertEquals(BuilderId.FARM_URN + first.current().keyid(), id);
    assertEquals(id, BuilderId.of(null, SigningKeys.open(dir, null)), "a restart names the same farm");

    Path signing = first.keyFile().getParent();
    Files.delete(signing.resolve(SigningKeys.KEY_FILE)); // the rotation the operator's guide describes
    Files.delete(signing.resolve(SigningKeys.PUBLIC_FILE));
    SigningKeys rotated = SigningKeys.open(dir, null);
    assertNotEquals(first.current().keyid(), rotated.current().keyid());
    assertEquals(id, BuilderId.of(null, rotated), "a new key signs for the same farm");

    Path shared = Files.createDirectories(dir.resolve("other-coordinator/signing"));
    Files.copy(rotated.keyFile(), shared.resolve("farm.key"));
    Files.copy(signing.resolve(BuilderId.FILE), shared.resolve(BuilderId.FILE));
    assertEquals(id, BuilderId.of(null, SigningKeys.open(dir.resolve("elsewhere"), shared.resolve("farm.key"))));
  }

  @Test
  void theOperatorsBuilderIdWinsAndMustBeAnAbsoluteUri() throws Exception {
    SigningKeys keys = SigningKeys.open(dir, null);
    assertEquals("https://farm.example.org/bootfarm", BuilderId.of("https://farm.example.org/bootfarm", keys));
    IOException relative = assertThrows(IOException.class, () -> BuilderId.of("farm/one", keys));
    assertTrue(relative.getMessage().contains("--builder-id") && relative.getMessage().contains("absolute URI"),
        relative::getMessage);
    Files.writeString(keys.keyFile().getParent().resolve(BuilderId.FILE), "not a uri\n");
    IOException file = assertThrows(IOException.class, () -> BuilderId.of(null, keys));
    assertTrue(file.getMessage().contains(BuilderId.FILE), file::getMessage);
  }
}
