package org.bootfarm.cluster.identity;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Ties every event-bus message a member sends to that member's certificate, so that a receiver
 * knows who sent it from a credential it checks, never from a body field: the sending node signs the
 * address, the time, the headers and the digest of the body with its message key, and attaches its
 * certificate and the certificate's vouching for that key ({@link #signOutgoing}, {@link
 * MemberCredential#messageSigner}); a consumer that must know its sender asks {@link #sender}. Mutual TLS already keeps
 * processes without a farm certificate off the event bus; this tells one member from another (a
 * worker cannot report for another's build, nor a worker act as a coordinator).
 */
public final class MessageSignatures {
  public static final String SIGNER = "bootfarm-signer";
  public static final String SENT = "bootfarm-sent";
  public static final String SIGNATURE = "bootfarm-signature";
  /** How far a message's send time may lie from the receiver's clock: clocks of members drift a little. */
  static final Duration MAX_SKEW = Duration.ofMinutes(10);

  /** For a cluster run without certificates (in-process test clusters): nothing is signed, no sender is known. */
  public static final MessageSignatures UNSECURED = new MessageSignatures(null, Clock.systemUTC());

  private final FarmTrust trust;
  private final Clock clock;

  public MessageSignatures(FarmTrust trust, Clock clock) {
    this.trust = trust;
    this.clock = clock;
  }

  /**
   * Whether this node's farm has certificates: then a consumer that must know its sender refuses a
   * message without a verified one. Only clusters inside one test JVM run without.
   */
  public boolean secured() {
    return trust != null;
  }

  /** Makes {@code bus} sign every message this node sends, replies included, with {@code credential}. */
  public static void signOutgoing(EventBus bus, MemberCredential credential, Clock clock) {
    bus.addOutboundInterceptor((DeliveryContext<Object> context) -> {
      Message<Object> message = context.message();
      MultiMap headers = message.headers();
      headers.remove(SIGNER);
      headers.remove(SENT);
      headers.remove(SIGNATURE);
      String sent = Long.toString(clock.millis());
      String signature = credential.signMessage(signed(message.address(), sent, headers, context.body()));
      headers.set(SIGNER, credential.messageSigner());
      headers.set(SENT, sent);
      headers.set(SIGNATURE, signature);
      context.next();
    });
  }

  /**
   * The farm member that sent {@code message}: whose certificate, signed by the farm CA, signed this
   * message's address, headers and body within {@link #MAX_SKEW} of now; empty for a message that
   * is unsigned, altered, too old, or signed by a certificate of another CA.
   */
  public Optional<MemberIdentity> sender(Message<?> message) {
    if (trust == null) {
      return Optional.empty();
    }
    MultiMap headers = message.headers();
    String sent = headers.get(SENT);
    if (sent == null || !sent.matches("\\d{1,19}")) {
      return Optional.empty();
    }
    long skew = Math.abs(clock.millis() - Long.parseLong(sent));
    if (skew > MAX_SKEW.toMillis()) {
      return Optional.empty();
    }
    return trust.verifyMessage(headers.get(SIGNER), signed(message.address(), sent, headers, message.body()),
        headers.get(SIGNATURE));
  }

  /** What a signature covers: the address, the send time, every other header (sorted) and the body's sha256. */
  public static byte[] signed(String address, String sent, MultiMap headers, Object body) {
    List<String> covered = new ArrayList<>();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(java.util.Locale.ROOT);
      if (!name.equals(SIGNER) && !name.equals(SENT) && !name.equals(SIGNATURE)) {
        covered.add(name + "=" + header.getValue());
      }
    }
    covered.sort(null);
    String text = "bootfarm-message-v1\n" + address + "\n" + sent + "\n" + String.join("\n", covered) + "\n"
        + HexFormat.of().formatHex(digest(body));
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] digest(Object body) {
    byte[] bytes;
    if (body == null) {
      bytes = new byte[0];
    } else if (body instanceof JsonObject json) {
      bytes = json.encode().getBytes(StandardCharsets.UTF_8);
    } else if (body instanceof JsonArray json) {
      bytes = json.encode().getBytes(StandardCharsets.UTF_8);
    } else if (body instanceof Buffer buffer) {
      bytes = buffer.getBytes();
    } else if (body instanceof byte[] raw) {
      bytes = raw;
    } else {
      bytes = (body.getClass().getName() + ":" + body).getBytes(StandardCharsets.UTF_8);
    }
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
