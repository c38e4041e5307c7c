package org.bootfarm.cluster.identity;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.testkit.SteppingClock;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Pins which nonces of signed messages a member takes (ADR 0064): each once per signing process; a coordinator's
 * process has the wider window its busy signing needs; a certificate minting message keys evicts only its own
 * windows; a window idle past every message's validity is forgotten.
 */
@Tag("unit")
class SignatureReplaysTest {
  static final MemberIdentity COORDINATOR = new MemberIdentity("c1", NodeRole.COORDINATOR);
  static final MemberIdentity WORKER = new MemberIdentity("w1", NodeRole.WORKER);

  private final SteppingClock clock = new SteppingClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final SignatureReplays replays = new SignatureReplays(clock);

  @Test
  void eachNonceOfOneSigningProcessIsTakenOnce() {
    assertNull(replays.accept("key-a", COORDINATOR, 7));
    assertTrue(replays.accept("key-a", COORDINATOR, 7).contains("nonce 7 of its signing process was accepted"));
    assertNull(replays.accept("key-b", COORDINATOR, 7), "another process of the same certificate: its own nonces");
  }

  @Test
  void aCoordinatorsWindowIsWiderThanAWorkers() {
    long behind = ReplayWindow.SIZE + 10;
    assertNull(replays.accept("coordinator", COORDINATOR, behind + 5));
    assertNull(replays.accept("coordinator", COORDINATOR, 5), "a request sent again with its first nonce");
    assertNull(replays.accept("worker", WORKER, behind + 5));
    assertTrue(replays.accept("worker", WORKER, 5).contains("behind the newest"));
  }

  @Test
  void aCertificateMintingMessageKeysEvictsOnlyItsOwnWindows() {
    assertNull(replays.accept("coordinator", COORDINATOR, 1));
    for (int key = 0; key <= SignatureReplays.PER_CERTIFICATE; key++) {
      clock.advance(Duration.ofMillis(1));
      assertNull(replays.accept("worker-" + key, WORKER, 1));
    }
    assertTrue(replays.accept("coordinator", COORDINATOR, 1).contains("accepted already"), "kept");
    assertNull(replays.accept("worker-0", WORKER, 1), "the worker's least recently used window went first");
  }

  @Test
  void aWindowIdlePastEveryMessagesValidityIsForgotten() {
    assertNull(replays.accept("coordinator", COORDINATOR, 1));
    clock.advance(Duration.ofMillis(SignatureReplays.FORGET_AFTER_MILLIS + 1));
    assertNull(replays.accept("another", WORKER, 1)); // a new window: the idle ones are dropped then
    assertNull(replays.accept("coordinator", COORDINATOR, 1), "forgotten: a message that old is refused as stale");
  }
}
