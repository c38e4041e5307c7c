package org.bootfarm.cluster.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The farm CA issues members, and only its own members' certificates and signatures count. */
@Tag("unit")
class FarmCaTest {
  @TempDir Path dir;

  @Test
  void issuedMemberLoadsWithItsNameAndRoleAndKeysAreOwnerOnly() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "test");
    MemberCredential worker = ca.issue(new MemberIdentity("w-1", NodeRole.WORKER), dir.resolve("w1"));
    assertEquals(new MemberIdentity("w-1", NodeRole.WORKER), MemberCredential.load(dir.resolve("w1")).identity());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca/ca.key"))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("w1/member.key"))));
    assertEquals(worker.identity(), ca.issueOrLoad(new MemberIdentity("w-1", NodeRole.WORKER), dir.resolve("w1"))
        .identity());
    IdentityException other = assertThrows(IdentityException.class,
        () -> ca.issueOrLoad(new MemberIdentity("w-2", NodeRole.WORKER), dir.resolve("w1")));
    assertTrue(other.getMessage().contains("w-1"), other.getMessage());
    IdentityException again = assertThrows(IdentityException.class, () -> FarmCa.init(dir.resolve("ca"), "x"));
    assertTrue(again.getMessage().contains("never replaces"), again.getMessage());
  }

  @Test
  void anotherCasCertificateAndAMismatchedKeyAreRefused() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "test");
    FarmCa rogue = FarmCa.init(dir.resolve("rogue-ca"), "rogue");
    MemberCredential forged = rogue.issue(new MemberIdentity("c1", NodeRole.COORDINATOR), dir.resolve("forged"));
    FarmTrust trust = new FarmTrust(ca.certificate());
    byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
    assertEquals(Optional.empty(), trust.verify(forged.encodedCertificate(), data, forged.sign(data)));
    assertThrows(IdentityException.class, () -> trust.identify(forged.certificate()));

    MemberCredential real = ca.issue(new MemberIdentity("c1", NodeRole.COORDINATOR), dir.resolve("real"));
    assertEquals(Optional.of(real.identity()), trust.verify(real.encodedCertificate(), data, real.sign(data)));
    assertEquals(Optional.empty(), trust.verify(real.encodedCertificate(), "other".getBytes(StandardCharsets.UTF_8),
        real.sign(data)));
    // the real certificate with the rogue's key: the signature does not verify
    assertEquals(Optional.empty(), trust.verify(real.encodedCertificate(), data, forged.sign(data)));
    Files.delete(dir.resolve("real/member.key"));
    Files.copy(dir.resolve("forged/member.key"), dir.resolve("real/member.key"));
    IdentityException mismatch = assertThrows(IdentityException.class, () -> MemberCredential.load(dir.resolve("real")));
    assertTrue(mismatch.getMessage().contains("is not the key of"), mismatch.getMessage());
  }

  @Test
  void claimHoldsOnlyForItsAddressRoleAndCluster() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "test");
    MemberCredential coordinator = ca.issue(new MemberIdentity("c1", NodeRole.COORDINATOR), dir.resolve("c1"));
    MemberCredential worker = ca.issue(new MemberIdentity("w1", NodeRole.WORKER), dir.resolve("w1"));
    FarmTrust trust = coordinator.trust();
    String claim = MemberClaim.make(coordinator, "farm", "127.0.0.1:5701", NodeRole.COORDINATOR);
    assertEquals(Optional.of(coordinator.identity()),
        MemberClaim.verify(trust, claim, "farm", "127.0.0.1:5701", NodeRole.COORDINATOR));
    assertEquals(Optional.empty(), MemberClaim.verify(trust, claim, "farm", "127.0.0.1:5702", NodeRole.COORDINATOR));
    assertEquals(Optional.empty(), MemberClaim.verify(trust, claim, "other", "127.0.0.1:5701", NodeRole.COORDINATOR));
    assertEquals(Optional.empty(), MemberClaim.verify(trust, claim, "farm", "127.0.0.1:5701", NodeRole.WORKER));
    assertEquals(Optional.empty(), MemberClaim.verify(trust, null, "farm", "127.0.0.1:5701", NodeRole.COORDINATOR));
    assertThrows(IllegalArgumentException.class,
        () -> MemberClaim.make(worker, "farm", "127.0.0.1:5703", NodeRole.COORDINATOR));
  }

  @Test
  void signedMessageNamesItsSenderAndAnAlteredOneNobody() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "test");
    MemberCredential worker = ca.issue(new MemberIdentity("w1", NodeRole.WORKER), dir.resolve("w1"));
    MessageSignatures signatures = new MessageSignatures(worker.trust(), Clock.systemUTC());
    JsonObject body = new JsonObject().put("buildId", "b-1").put("attempt", 2).put("sha", "ab");
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("bootfarm-caller", "alice submit");
    String sent = Long.toString(System.currentTimeMillis());
    String signature = worker.signMessage(MessageSignatures.signed("builds.report", sent, headers, body));
    headers.add(MessageSignatures.SIGNER, worker.messageSigner()).add(MessageSignatures.SENT, sent)
        .add(MessageSignatures.SIGNATURE, signature);
    assertEquals(Optional.of(worker.identity()), signatures.sender(message("builds.report", headers, body)));
    // the body as a receiver decodes it from the wire
    assertEquals(Optional.of(worker.identity()),
        signatures.sender(message("builds.report", headers, new JsonObject(body.encode()))));
    assertEquals(Optional.empty(), signatures.sender(message("builds.report", headers, body.copy().put("attempt", 3))));
    assertEquals(Optional.empty(), signatures.sender(message("builds.other", headers, body)));
    MultiMap relabelled = MultiMap.caseInsensitiveMultiMap().addAll(headers).set("bootfarm-caller", "mallory admin");
    assertEquals(Optional.empty(), signatures.sender(message("builds.report", relabelled, body)));
    MultiMap old = MultiMap.caseInsensitiveMultiMap().addAll(headers).set(MessageSignatures.SENT, "1000");
    assertEquals(Optional.empty(), signatures.sender(message("builds.report", old, body)));
    assertEquals(Optional.empty(), MessageSignatures.UNSECURED.sender(message("builds.report", headers, body)));
    // the worker's certificate vouching for another process's message key: refused
    MemberCredential twin = MemberCredential.load(dir.resolve("w1"));
    String[] own = worker.messageSigner().split("\\.");
    String[] other = twin.messageSigner().split("\\.");
    MultiMap swapped = MultiMap.caseInsensitiveMultiMap().addAll(headers)
        .set(MessageSignatures.SIGNER, own[0] + "." + other[1] + "." + own[2])
        .set(MessageSignatures.SIGNATURE, twin.signMessage(MessageSignatures.signed("builds.report", sent,
            MultiMap.caseInsensitiveMultiMap().add("bootfarm-caller", "alice submit"), body)));
    assertEquals(Optional.empty(), signatures.sender(message("builds.report", swapped, body)));
  }

  private static Message<Object> message(String address, MultiMap headers, Object body) {
    return new Message<>() {
      @Override public String address() { return address; }
      @Override public MultiMap headers() { return headers; }
      @Override public Object body() { return body; }
      @Override public String replyAddress() { return null; }
      @Override public boolean isSend() { return true; }
      @Override public void reply(Object message, io.vertx.core.eventbus.DeliveryOptions options) {}
      @Override public <R> io.vertx.core.Future<Message<R>> replyAndRequest(Object message,
          io.vertx.core.eventbus.DeliveryOptions options) { return null; }
    };
  }
}
