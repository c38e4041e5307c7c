package org.bootfarm.protocol.provenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * DSSE's pre-authentication encoding against the specification's own example (protocol.md, "Test vectors"), and
 * the farm key's keyid, raw bytes and PEM form.
 */
@Tag("unit")
class DsseTest {
  @Test
  void paeIsTheSpecificationsExample() {
    byte[] pae = Dsse.pae("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8));
    assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world", new String(pae, StandardCharsets.UTF_8));
  }

  @Test
  void paeCountsBytesNotCharacters() {
    byte[] body = "é".getBytes(StandardCharsets.UTF_8);
    byte[] pae = Dsse.pae("t", body);
    assertArrayEquals("DSSEv1 1 t 2 é".getBytes(StandardCharsets.UTF_8), pae);
    assertEquals("DSSEv1 0  0 ", new String(Dsse.pae("", new byte[0]), StandardCharsets.US_ASCII));
  }

  @Test
  void aKeysIdIsTheSha256OfItsRawBytesAndItsPemReadsBack() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    FarmSigningKey key = new FarmSigningKey(pair.getPublic());
    byte[] encoded = pair.getPublic().getEncoded();
    assertEquals("302a300506032b6570032100", HexFormat.of().formatHex(Arrays.copyOf(encoded, 12)));
    assertArrayEquals(Arrays.copyOfRange(encoded, 12, 44), key.raw());
    assertEquals(Sha256.of(key.raw()), key.keyid());
    assertEquals(key.keyid(), FarmSigningKey.readPem("# a comment\n" + key.pem()).get(0).keyid());
    assertEquals(key.keyid(), FarmSigningKey.fromRaw(key.raw()).keyid());
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(pair.getPrivate());
    byte[] message = Dsse.pae(Dsse.IN_TOTO_PAYLOAD_TYPE, "{}".getBytes(StandardCharsets.UTF_8));
    signer.update(message);
    byte[] sig = signer.sign();
    assertTrue(key.verifies(message, sig));
    assertFalse(key.verifies(Dsse.pae(Dsse.IN_TOTO_PAYLOAD_TYPE, "{ }".getBytes(StandardCharsets.UTF_8)), sig));
  }

  @Test
  void aPemBlockOfAnotherAlgorithmIsRefusedNamingIt() throws Exception {
    KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(rsa.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> FarmSigningKey.readPem(pem));
    assertTrue(refused.getMessage().contains("PEM block 1 is not an Ed25519 public key"), refused::getMessage);
  }
}
