package org.bootfarm.coordinator.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file: clients by name, and every wrong line named with its number and what to do. */
@Tag("unit")
class BridgeTokensTest {
  @TempDir Path dir;

  @Test
  void tokensBelongToTheirClientAndNothingElseDoes() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "# ops\n\nci    ci-0123456789abcdef\nalice\talice-0123456789abcdef\n");
    BridgeTokens tokens = BridgeTokens.read(file);
    assertEquals(2, tokens.size());
    assertEquals(Optional.of("alice"), tokens.clientOf("alice-0123456789abcdef"));
    assertEquals(Optional.empty(), tokens.clientOf("alice-0123456789abcdeF"));
    assertEquals(Optional.empty(), tokens.clientOf(""));
    assertEquals(Optional.empty(), tokens.clientOf(null));
  }

  @Test
  void everyWrongLineIsNamedAndTheFileRefusedWhole() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), String.join("\n",
        "ci ci-0123456789abcdef", "short abc", "ci ci-other-0123456789abcdef", "bob ci-0123456789abcdef",
        "three fields here-0123456789abcdef", "b!d bad-name-0123456789abcdef"));
    String message = assertThrows(BridgeTokens.TokensFileException.class, () -> BridgeTokens.read(file)).getMessage();
    assertTrue(message.contains(file + ":2: the token of 'short' is shorter than 16"), message);
    assertTrue(message.contains("openssl rand -hex 32"), message);
    assertTrue(message.contains(file + ":3: name 'ci' is already used on line 1"), message);
    assertTrue(message.contains(file + ":4: the token of 'bob' is also another client's token"), message);
    assertTrue(message.contains(file + ":5: expected 'name token', found 3 fields"), message);
    assertTrue(message.contains(file + ":6: name 'b!d'"), message);
  }

  @Test
  void aMissingFileSaysHowToCreateIt() {
    String message = assertThrows(BridgeTokens.TokensFileException.class,
        () -> BridgeTokens.read(dir.resolve("absent"))).getMessage();
    assertTrue(message.contains("absent") && message.contains("one 'name token' line per client"), message);
  }
}
