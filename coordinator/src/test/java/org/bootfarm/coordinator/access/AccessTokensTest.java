package org.bootfarm.coordinator.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file: clients by name with their roles, and every wrong line named with its number and what to do. */
@Tag("unit")
class AccessTokensTest {
  @TempDir Path dir;

  @Test
  void tokensBelongToTheirClientAndNothingElseDoes() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "# ops\n\nci    ci-0123456789abcdef\nalice\talice-0123456789abcdef\n");
    AccessTokens tokens = AccessTokens.read(file);
    assertEquals(2, tokens.size());
    assertEquals(Optional.of("token:alice"), tokens.callerOf("alice-0123456789abcdef").map(Caller::name),
        "a client of the tokens file, by name and kind");
    assertEquals(Optional.empty(), tokens.callerOf("alice-0123456789abcdeF"));
    assertEquals(Optional.empty(), tokens.callerOf(""));
    assertEquals(Optional.empty(), tokens.callerOf(null));
  }

  @Test
  void aLineWithoutARoleIsSubmitAsEveryBridgeClientWasBeforeRoles() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "old old-0123456789abcdef\n"
        + "viewer viewer-0123456789abcdef read\nci ci-0123456789abcdef submit\nops ops-0123456789abcdef admin\n");
    AccessTokens tokens = AccessTokens.read(file);
    assertEquals(Optional.of(Caller.ofToken("old", AccessRole.SUBMIT)), tokens.callerOf("old-0123456789abcdef"));
    assertEquals(Optional.of(Caller.ofToken("viewer", AccessRole.READ)), tokens.callerOf("viewer-0123456789abcdef"));
    assertEquals(Optional.of(Caller.ofToken("ci", AccessRole.SUBMIT)), tokens.callerOf("ci-0123456789abcdef"));
    assertEquals(Optional.of(Caller.ofToken("ops", AccessRole.ADMIN)), tokens.callerOf("ops-0123456789abcdef"));
  }

  @Test
  void everyWrongLineIsNamedAndTheFileRefusedWhole() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), String.join("\n",
        "ci ci-0123456789abcdef", "short abc", "ci ci-other-0123456789abcdef", "bob ci-0123456789abcdef",
        "four fields here-0123456789abcdef admin", "b!d bad-name-0123456789abcdef", "eve eve-0123456789abcdef root"));
    String message = assertThrows(AccessTokens.TokensFileException.class, () -> AccessTokens.read(file)).getMessage();
    assertTrue(message.contains(file + ":2: the token of 'short' is shorter than 16"), message);
    assertTrue(message.contains("openssl rand -hex 32"), message);
    assertTrue(message.contains(file + ":3: name 'ci' is already used on line 1"), message);
    assertTrue(message.contains(file + ":4: the token of 'bob' is also another client's token"), message);
    assertTrue(message.contains(file + ":5: expected 'name token [read|submit|admin]', found 4 fields"), message);
    assertTrue(message.contains(file + ":6: name 'b!d'"), message);
    assertTrue(message.contains(file + ":7: the role of 'eve' is 'root'; write read, submit or admin"), message);
  }

  @Test
  void aMissingFileSaysHowToCreateIt() {
    String message = assertThrows(AccessTokens.TokensFileException.class,
        () -> AccessTokens.read(dir.resolve("absent"))).getMessage();
    assertTrue(message.contains("absent") && message.contains("one 'name token [read|submit|admin]' line per client"),
        message);
  }

  @Test
  void rolesAllowWhatTheRolesBeforeThemAllow() {
    assertTrue(AccessRole.ADMIN.allows(AccessRole.SUBMIT) && AccessRole.ADMIN.allows(AccessRole.READ));
    assertTrue(AccessRole.SUBMIT.allows(AccessRole.READ) && !AccessRole.SUBMIT.allows(AccessRole.ADMIN));
    assertTrue(!AccessRole.READ.allows(AccessRole.SUBMIT) && AccessRole.READ.allows(AccessRole.READ));
  }
}
