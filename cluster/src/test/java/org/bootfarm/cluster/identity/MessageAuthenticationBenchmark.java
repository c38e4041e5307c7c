package org.bootfarm.cluster.identity;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.bootfarm.cluster.NodeRole;

/**
 * Times what authenticating one event-bus message costs its sender and its receiver together, in one JVM
 * with the two schemes interleaved round by round: ADR 0031's Ed25519 signature (sign, verify with the
 * signer cached) against ADR 0050's session MAC (tag, check, replay window). Not a test: {@code
 * bench/message-auth.sh} runs it. Prints a Markdown table of the median round.
 *
 * <p>Usage: {@code MessageAuthenticationBenchmark [MESSAGES_PER_ROUND] [ROUNDS]} (default 20000 7).
 */
public final class MessageAuthenticationBenchmark {
  private MessageAuthenticationBenchmark() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path dir = Files.createTempDirectory("bootfarm-auth-bench");
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "bench");
    MemberCredential client = ca.issue(new MemberIdentity("bench-client", NodeRole.CLIENT), dir.resolve("client"));
    MemberCredential coordinator = ca.issue(new MemberIdentity("c1", NodeRole.COORDINATOR), dir.resolve("c1"));
    FarmTrust trust = coordinator.trust();
    String cluster = "bench";
    String clientKey = client.sessionPublicKey();
    String coordinatorKey = coordinator.sessionPublicKey();
    byte[] sending = MessageMacs.messageKey(client.agree(Base64.getDecoder().decode(coordinatorKey)), cluster,
        clientKey, coordinatorKey);
    byte[] receiving = MessageMacs.messageKey(coordinator.agree(Base64.getDecoder().decode(clientKey)), cluster,
        clientKey, coordinatorKey);
    if (!Arrays.equals(sending, receiving)) {
      throw new IllegalStateException("the two sides agreed different keys");
    }
    String keyId = MessageMacs.keyId(coordinatorKey);
    String address = "bootfarm.v1.builds.submit";
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("bootfarm-call", "submit");
    JsonObject body = new JsonObject().put("repo", "debian-12").put("target", "bootstrap")
        .put("components", new JsonObject().put("tether", "a".repeat(64)).put("unpack", "b".repeat(64)));
    ReplayWindow window = new ReplayWindow();
    long[] signatureNanos = new long[rounds];
    long[] macNanos = new long[rounds];
    long sequence = 0;
    for (int round = -1; round < rounds; round++) { // round -1 warms both up
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        String sent = Long.toString(System.currentTimeMillis());
        String signature = client.signMessage(MessageSignatures.signed(address, sent, headers, body));
        if (trust.verifyMessage(client.messageSigner(), MessageSignatures.signed(address, sent, headers, body),
            signature).isEmpty()) {
          throw new IllegalStateException("a signature did not verify");
        }
      }
      long signed = System.nanoTime() - start;
      start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        String sent = Long.toString(System.currentTimeMillis());
        String number = Long.toString(sequence++);
        String tag = MessageMacs.tag(sending, number, clientKey, keyId,
            MessageSignatures.signed(address, sent, headers, body));
        String expected = MessageMacs.tag(receiving, number, clientKey, keyId,
            MessageSignatures.signed(address, sent, headers, body));
        if (!MessageMacs.sameTag(expected, tag) || window.accept(Long.parseLong(number)) != null) {
          throw new IllegalStateException("a tag did not verify");
        }
      }
      long tagged = System.nanoTime() - start;
      if (round >= 0) {
        signatureNanos[round] = signed;
        macNanos[round] = tagged;
      }
    }
    Arrays.sort(signatureNanos);
    Arrays.sort(macNanos);
    double signatureMicros = signatureNanos[rounds / 2] / 1000.0 / messages;
    double macMicros = macNanos[rounds / 2] / 1000.0 / messages;
    int signatureHeaders = (MessageSignatures.SIGNER + MessageSignatures.SIGNATURE).length()
        + client.messageSigner().length() + 88;
    int macHeaders = (MessageMacs.SESSION + MessageMacs.SEQUENCE + MessageMacs.MAC).length() + clientKey.length()
        + Long.toString(sequence).length() + keyId.length() + 1 + 22;
    System.out.printf("%d messages a round, median of %d rounds, load %s%n", messages, rounds,
        Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).strip());
    System.out.println("| scheme | sender + receiver µs per message | messages/s on one core | header bytes |");
    System.out.println("|---|---|---|---|");
    System.out.printf("| Ed25519 signature (ADR 0031) | %.1f | %,.0f | %d |%n", signatureMicros,
        1e6 / signatureMicros, signatureHeaders);
    System.out.printf("| session MAC, one coordinator (ADR 0050) | %.1f | %,.0f | %d |%n", macMicros, 1e6 / macMicros,
        macHeaders);
  }
}
