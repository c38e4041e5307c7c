package org.bootfarm.cluster.identity;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.regex.Pattern;

/**
 * Ties every event-bus message a member sends to that member's certificate, so that a receiver
 * knows who sent it from a credential it checks, never from a body field: the sending node signs the
 * address, the time, the headers and the digest of the body with its message key, and attaches its
 * certificate and the certificate's vouching for that key ({@link #signOutgoing}, {@link
 * MemberCredential#messageSigner}); a consumer that must know its sender asks {@link #sender}. Mutual TLS already keeps
 * processes without a farm certificate off the event bus; this tells one member from another (a
 * worker cannot report for another's build, nor a worker act as a coordinator). A worker's or client's
 * messages carry, once it knows a coordinator, a MAC per coordinator instead of a signature, and a
 * coordinator's reply to such a message a MAC for its requester ({@link MacSessions}, ADR 0050). A signed
 * message carries a nonce its signature covers, and each is accepted once ({@link SignatureReplays}, ADR 0064).
 */
public final class MessageSignatures {
  public static final String SIGNER = "bootfarm-signer";
  public static final String SENT = "bootfarm-sent";
  public static final String SIGNATURE = "bootfarm-signature";
  /**
   * A signed message's nonce, its signing process's next number ({@link MemberCredential#nextNonce}), an ordinary
   * header the signature covers: each receiver accepts each nonce of one signing process once (ADR 0064). A request
   * sent again after someone else answered it keeps its first nonce ({@code cluster.CoordinatorRequests}), so a
   * coordinator runs it at most once however often it travels.
   */
  public static final String NONCE = "bootfarm-nonce";
  /** How far a message's send time may lie from the receiver's clock: clocks of members drift a little. */
  static final Duration MAX_SKEW = Duration.ofMinutes(10);
  /** The headers that authenticate a message, which neither a signature nor a MAC covers. */
  private static final List<String> AUTHENTICATION = List.of(SIGNER, SENT, SIGNATURE, MessageMacs.SESSION,
      MessageMacs.SEQUENCE, MessageMacs.MAC);
  /** A send time or sequence number: decimal, short enough for a long. */
  static final Pattern NUMBER = Pattern.compile("\\d{1,18}");

  /** For a cluster run without certificates (in-process test clusters): nothing is signed, no sender is known. */
  public static final MessageSignatures UNSECURED = new MessageSignatures(null, Clock.systemUTC());

  private final FarmTrust trust;
  private final Clock clock;
  /** This node's side of the MAC sessions (ADR 0050); null where messages are only signed. */
  private final MacSessions macs;
  /** This node's own credential, whose nonces {@link #nextNonce} hands out; null where this node only receives. */
  private final MemberCredential own;
  private final SignatureReplays replays;
  /** The verdict on each message asked about: a second question must not find its number or nonce "replayed". */
  private final Map<Message<?>, Verdict> answered = Collections.synchronizedMap(new WeakHashMap<>());
  /**
   * The verdict on each refusal that answered one of this node's requests ({@link #rememberRefusals}), by the
   * failure a requester is handed instead of the reply message: who refused must be known as who answered.
   */
  private final Map<ReplyException, Verdict> refusals = Collections.synchronizedMap(new WeakHashMap<>());

  public MessageSignatures(FarmTrust trust, Clock clock) {
    this(trust, clock, null);
  }

  public MessageSignatures(FarmTrust trust, Clock clock, MacSessions macs) {
    this(trust, clock, macs, null);
  }

  /** The signatures of a node holding {@code own}, which also hands out its nonces ({@link #nextNonce}). */
  public MessageSignatures(MemberCredential own, Clock clock, MacSessions macs) {
    this(own.trust(), clock, macs, own);
  }

  private MessageSignatures(FarmTrust trust, Clock clock, MacSessions macs, MemberCredential own) {
    this.trust = trust;
    this.clock = clock;
    this.macs = macs;
    this.own = own;
    this.replays = new SignatureReplays(clock);
  }

  /**
   * Who sent a message, or why no sender is known.
   *
   * @param sender the verified sender; empty when refused or in an unsecured cluster
   * @param refusal why it was refused, for the log; null when it was not
   */
  public record Verdict(Optional<MemberIdentity> sender, String refusal) {
    static Verdict from(MemberIdentity who) {
      return new Verdict(Optional.of(who), null);
    }

    static Verdict refused(String why) {
      return new Verdict(Optional.empty(), why);
    }
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
    signOutgoing(bus, credential, clock, null);
  }

  /**
   * Makes {@code bus} authenticate every message this node sends, replies included: with MACs when this
   * node's side of the sessions, {@code sessions}, has one for it, else with a signature of {@code
   * credential}'s message key.
   */
  public static void signOutgoing(EventBus bus, MemberCredential credential, Clock clock, MacSessions sessions) {
    bus.addOutboundInterceptor((DeliveryContext<Object> context) -> {
      Message<Object> message = context.message();
      MultiMap headers = message.headers();
      for (String header : AUTHENTICATION) {
        headers.remove(header);
      }
      String sent = Long.toString(clock.millis());
      headers.set(SENT, sent);
      if (sessions != null && sessions.tag(message.address(), sent, headers, context.body())) {
        context.next();
        return;
      }
      if (!headers.contains(NONCE)) { // a request sent again keeps the nonce its requester gave it (nextNonce)
        headers.set(NONCE, Long.toString(credential.nextNonce()));
      }
      String signature = credential.signMessage(signed(message.address(), sent, headers, context.body()));
      headers.set(SIGNER, credential.messageSigner());
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
    return check(message).sender();
  }

  /**
   * {@link #sender}, and why there is none: a message with a MAC is judged by its MAC alone, in this node's
   * sessions (asked twice about one message, it answers the same), any other by its signature.
   */
  public Verdict check(Message<?> message) {
    if (trust == null) {
      return new Verdict(Optional.empty(), null);
    }
    MultiMap headers = message.headers();
    String sent = headers.get(SENT);
    if (sent == null || !NUMBER.matcher(sent).matches()) {
      return Verdict.refused("it carries no farm member's signature or MAC (unsigned)");
    }
    long skew = Math.abs(clock.millis() - Long.parseLong(sent));
    if (skew > MAX_SKEW.toMillis()) {
      return Verdict.refused("it was sent " + skew / 1000 + " s from now by its own clock, more than "
          + MAX_SKEW.toMinutes() + " minutes (stale, or the sender's clock is off)");
    }
    if (headers.contains(MessageMacs.MAC)) {
      if (macs == null) {
        return Verdict.refused("it carries a session MAC, which this node does not accept");
      }
      Verdict known = answered.get(message);
      if (known == null) {
        known = macs.verify(message, sent);
        answered.put(message, known);
      }
      return known;
    }
    Verdict known = answered.get(message);
    if (known == null) {
      known = verifySignature(message, sent);
      answered.put(message, known);
    }
    return known;
  }

  /**
   * A signed message's signer, its nonce accepted once; a message without a nonce is a node's of a version before
   * ADR 0064 (this version always sends one, and the signature covers it): believed as before, during an upgrade.
   */
  private Verdict verifySignature(Message<?> message, String sent) {
    MultiMap headers = message.headers();
    String signer = headers.get(SIGNER);
    Optional<MemberIdentity> who = trust.verifyMessage(signer, signed(message.address(), sent, headers,
        message.body()), headers.get(SIGNATURE));
    if (who.isEmpty()) {
      return Verdict.refused("its signature does not verify (unsigned, altered or another CA's)");
    }
    String nonce = headers.get(NONCE);
    if (nonce == null) {
      return Verdict.from(who.get());
    }
    if (!NUMBER.matcher(nonce).matches() || headers.getAll(NONCE).size() != 1) {
      return Verdict.refused("its nonce '" + nonce + "' is not one number");
    }
    String replay = replays.accept(signer.split("\\.", 3)[1], who.get(), Long.parseLong(nonce));
    return replay != null ? Verdict.refused("replayed: " + replay) : Verdict.from(who.get());
  }

  /**
   * A nonce of this node's signing process for a request it will send more than once, each time re-signed
   * ({@link #NONCE}): a coordinator accepts the request once, whichever of its sendings arrives first. Null where
   * this node signs nothing (a cluster without certificates).
   */
  public String nextNonce() {
    return own == null ? null : Long.toString(own.nextNonce());
  }

  /**
   * Makes this node remember who sent each refusal that answers one of its requests ({@link Message#fail}): Vert.x
   * hands the requester only the {@link ReplyException}, so the verdict on the message that carried it is kept here
   * for {@link #refusedBy}. Call once per node.
   */
  public void rememberRefusals(EventBus bus) {
    bus.addInboundInterceptor((DeliveryContext<Object> context) -> {
      if (context.message().isSend() && context.message().body() instanceof ReplyException refusal
          && refusal.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        refusals.put(refusal, check(context.message()));
      }
      context.next();
    });
  }

  /**
   * Who sent the refusal {@code failure} that answered a request of this node: as {@link #check} says of the
   * message that carried it ({@link #rememberRefusals}); refused when no message carried it here.
   */
  public Verdict refusedBy(ReplyException failure) {
    if (trust == null) {
      return new Verdict(Optional.empty(), null);
    }
    Verdict known = refusals.get(failure);
    return known != null ? known : Verdict.refused("no message of a farm member carried it");
  }

  /** What a signature covers: the address, the send time, every other header (sorted) and the body's sha256. */
  public static byte[] signed(String address, String sent, MultiMap headers, Object body) {
    List<String> covered = new ArrayList<>();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(java.util.Locale.ROOT);
      if (!AUTHENTICATION.contains(name)) {
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
