package org.bootfarm.coordinator.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.util.List;
import org.bootfarm.protocol.api.v1.SigningKeyInfo;
import org.bootfarm.protocol.provenance.FarmSigningKey;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's signing key: made once in the data dir, readable by its owner only, the same on every later
 * start; a key file given with {@code --signing-key} is used as it is, so coordinators share it; retired public
 * keys beside it are served after the current one; a key file that is not an Ed25519 pair is refused naming it.
 */
@Tag("unit")
class SigningKeysTest {
  @TempDir Path dir;

  @Test
  void theFirstStartMakesAKeyOnlyItsOwnerReadsAndLaterStartsKeepIt() throws Exception {
    SigningKeys first = SigningKeys.open(dir, null);
    Path file = dir.resolve("signing/signing.key");
    assertEquals(file, first.keyFile());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertEquals(first.current().keyid(), SigningKeys.open(dir, null).current().keyid());
    assertEquals(first.current().keyid(), FarmSigningKey.readPem(Files.readString(dir.resolve("signing/signing.pub")))
        .get(0).keyid());
    List<SigningKeyInfo> keys = first.keys();
    assertEquals(1, keys.size(), keys::toString);
    assertEquals(SigningKeyInfo.CURRENT, keys.get(0).status());
    assertEquals("Ed25519", keys.get(0).algorithm());
  }

  @Test
  void aGivenKeyFileIsSharedAndItsRetiredKeysAreServed() throws Exception {
    Path farmKey = SigningKeys.open(dir.resolve("first"), null).keyFile();
    Path shared = Files.createDirectories(dir.resolve("shared"));
    Files.copy(farmKey, shared.resolve("farm.key"));
    FarmSigningKey old = new FarmSigningKey(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    Files.writeString(Files.createDirectories(shared.resolve("retired")).resolve("2025.pub"), old.pem());
    SigningKeys second = SigningKeys.open(dir.resolve("second"), shared.resolve("farm.key"));
    assertEquals(SigningKeys.open(dir.resolve("first"), null).current().keyid(), second.current().keyid());
    assertTrue(Files.notExists(dir.resolve("second/signing")), "no key of its own is made");
    List<SigningKeyInfo> keys = second.keys();
    assertEquals(List.of(SigningKeyInfo.CURRENT, SigningKeyInfo.RETIRED), keys.stream().map(SigningKeyInfo::status)
        .toList());
    assertEquals(old.keyid(), keys.get(1).keyid());
  }

  @Test
  void aKeyFileThatIsNoEd25519PairIsRefusedNamingIt() throws Exception {
    Path missing = dir.resolve("nowhere.key");
    IOException absent = assertThrows(IOException.class, () -> SigningKeys.open(dir, missing));
    assertTrue(absent.getMessage().contains("--signing-key " + missing + ": no such file"), absent::getMessage);
    Path made = SigningKeys.open(dir.resolve("a"), null).keyFile();
    String text = Files.readString(made, StandardCharsets.US_ASCII);
    Path privateOnly = Files.writeString(dir.resolve("private-only.key"),
        text.substring(0, text.indexOf("-----BEGIN PUBLIC KEY-----")));
    IOException noPublic = assertThrows(IOException.class, () -> SigningKeys.open(dir, privateOnly));
    assertTrue(noPublic.getMessage().contains("openssl pkey -in " + privateOnly + " -pubout"), noPublic::getMessage);
    FarmSigningKey other = new FarmSigningKey(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    Path mismatched = Files.writeString(dir.resolve("mismatched.key"),
        text.substring(0, text.indexOf("-----BEGIN PUBLIC KEY-----")) + other.pem());
    IOException wrong = assertThrows(IOException.class, () -> SigningKeys.open(dir, mismatched));
    assertTrue(wrong.getMessage().contains("is not the public half of its PRIVATE KEY"), wrong::getMessage);
  }
}
