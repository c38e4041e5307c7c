package org.bootfarm.coordinator.bridge;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.coordinator.access.AccessTokens;
import org.bootfarm.coordinator.access.ApiPermissions;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.coordinator.access.CallerHeader;
import org.bootfarm.coordinator.access.LiveTokens;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.WireJson;

/**
 * The coordinator's TCP event-bus bridge: clients outside the cluster (the {@code bootfarm} CLI)
 * reach the public API addresses over one TCP (optionally TLS) connection, speaking the wire format
 * of vertx-tcp-eventbus-bridge (4-byte length, JSON frame {@code {type, address, replyAddress,
 * headers, body}}). Every frame must carry a token of the tokens file in {@code headers.token}, whose role
 * must allow the address ({@link ApiPermissions}, the table the HTTP API uses too); the call then goes to the
 * coordinator for that token's client ({@link CallerHeader}), and only a coordinator's answer goes back ({@link
 * CoordinatorRequests}, ADR 0064): a member answering on a coordinator's address in its place is refused and the call
 * sent again; when only such members answer, the client gets an {@code err} frame saying so.
 *
 * <p>It is bootfarm's own server rather than the shipped bridge because the shipped one wedges a
 * connection on a frame of unknown type, has no frame-size limit and leaves a client waiting when a
 * body has the wrong JSON type (docs/field-notes.md, ADR 0020). Here each bad frame is answered with an
 * {@code err} frame naming what was wrong, changes nothing, and the connection keeps being served;
 * only repeated token failures close it.
 */
public final class BridgeServer {
  private static final System.Logger LOG = System.getLogger(BridgeServer.class.getName());
  /** A declared frame length above this is not a bridge client talking: the connection is closed. */
  static final long MAX_SKIPPED_FRAME_BYTES = 64L << 20;
  /** Build event streams one connection may follow at once. */
  static final int MAX_REGISTRATIONS = 64;

  /**
   * How the bridge listens and what it allows.
   *
   * @param maxFrameBytes    the largest frame read; larger ones are refused and skipped
   * @param maxTokenFailures frames with a missing or wrong token before the connection is closed
   * @param requestTimeout   how long a request waits for the coordinator's answer
   * @param tlsCert          PEM certificate chain; with {@code tlsKey}, the bridge speaks TLS
   */
  public record Settings(String host, int port, Path tokensFile, int maxFrameBytes, int maxTokenFailures,
      Duration requestTimeout, Path tlsCert, Path tlsKey) {
    public Settings {
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new IllegalArgumentException("TLS needs both a certificate and a key PEM file; "
            + (tlsCert == null ? "the certificate" : "the key") + " is missing");
      }
    }

    /** Loopback, 256 KiB frames, 5 token failures, 30 s requests, no TLS. */
    public static Settings loopback(int port, Path tokensFile) {
      return new Settings("127.0.0.1", port, tokensFile, 256 * 1024, 5, Duration.ofSeconds(30), null, null);
    }

    public Settings withTls(Path cert, Path key) {
      return new Settings(host, port, tokensFile, maxFrameBytes, maxTokenFailures, requestTimeout, cert, key);
    }

    public Settings withMaxFrameBytes(int bytes) {
      return new Settings(host, port, tokensFile, bytes, maxTokenFailures, requestTimeout, tlsCert, tlsKey);
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final NetServer server;
  private final AtomicLong connections = new AtomicLong();
  private final LiveTokens tokens;
  private final boolean ownsTokens;
  private final ApiRefusals refusals;
  private final CoordinatorRequests requests;

  private BridgeServer(Vertx vertx, Settings settings, LiveTokens tokens, boolean ownsTokens, ApiRefusals refusals,
      CoordinatorRequests requests) {
    this.vertx = vertx;
    this.settings = settings;
    this.tokens = tokens;
    this.ownsTokens = ownsTokens;
    this.refusals = refusals;
    this.requests = requests;
    NetServerOptions options = new NetServerOptions().setHost(settings.host()).setPort(settings.port());
    if (settings.tlsCert() != null) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(settings.tlsCert().toString()).setKeyPath(settings.tlsKey().toString()));
    }
    this.server = vertx.createNetServer(options).connectHandler(socket -> new Connection(socket).start());
  }

  /**
   * Reads the tokens file of {@code settings} (kept current until {@link #close}) and listens, on a Vert.x of a
   * cluster without certificates (every answer taken); refusals are not counted.
   *
   * @throws AccessTokens.TokensFileException when the tokens file is missing or wrong
   */
  public static Future<BridgeServer> start(Vertx vertx, Settings settings) throws AccessTokens.TokensFileException {
    return listen(new BridgeServer(vertx, settings, LiveTokens.watch(vertx, settings.tokensFile()), true,
        ApiRefusals.uncounted(), CoordinatorRequests.unsecured(vertx)));
  }

  /**
   * Listens, checking tokens against the coordinator's {@code tokens}, counting refusals in {@code refusals} and
   * sending the calls through {@code requests} (the coordinator's: only a coordinator's answer is taken).
   */
  public static Future<BridgeServer> start(Vertx vertx, Settings settings, LiveTokens tokens, ApiRefusals refusals,
      CoordinatorRequests requests) {
    return listen(new BridgeServer(vertx, settings, tokens, false, refusals, requests));
  }

  private static Future<BridgeServer> listen(BridgeServer bridge) {
    Vertx vertx = bridge.vertx;
    Settings settings = bridge.settings;
    return bridge.server.listen().map(listening -> {
      LOG.log(System.Logger.Level.INFO, "bridge listening on {0}:{1} ({2}), {3} tokens from {4}", settings.host(),
          String.valueOf(listening.actualPort()), settings.tlsCert() == null ? "plain TCP" : "TLS",
          bridge.tokens.size(), settings.tokensFile());
      return bridge;
    }).recover(failure -> {
      bridge.closeTokens();
      return Future.failedFuture(new IllegalStateException("the bridge cannot listen on " + settings.host() + ":"
          + settings.port() + " (" + failure.getMessage() + "); choose another --bridge-port", failure));
    });
  }

  public int actualPort() {
    return server.actualPort();
  }

  public Future<Void> close() {
    closeTokens();
    return server.close();
  }

  private void closeTokens() {
    if (ownsTokens) {
      tokens.close();
    }
  }

  /** One client connection: its frame reader, token failures and event-stream registrations. */
  private final class Connection implements FrameReader.Frames {
    private final NetSocket socket;
    private final String peer;
    private final FrameReader reader;
    private final Map<String, MessageConsumer<Object>> registrations = new HashMap<>();
    private int tokenFailures;
    private boolean closing;

    Connection(NetSocket socket) {
      this.socket = socket;
      this.peer = String.valueOf(socket.remoteAddress());
      this.reader = new FrameReader(settings.maxFrameBytes(), MAX_SKIPPED_FRAME_BYTES, this);
    }

    void start() {
      connections.incrementAndGet();
      socket.handler(reader::feed);
      socket.closeHandler(closed -> {
        connections.decrementAndGet();
        registrations.values().forEach(MessageConsumer::unregister);
        registrations.clear();
      });
      socket.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "bridge connection {0}: {1}", peer, e));
    }

    @Override
    public void oversized(long length, int limit) {
      error(null, "frame_too_large", ApiError.Code.TOO_LARGE, "a frame of " + length
          + " bytes is over this bridge's limit of " + limit + " bytes; it was skipped");
    }

    @Override
    public void broken(long length) {
      error(null, "invalid_frame", ApiError.Code.BAD_REQUEST, "a frame length of " + length
          + " bytes is not a bridge client's frame (is this an HTTP client on the bridge port?); closing");
      close();
    }

    @Override
    public void frame(Buffer bytes) {
      JsonObject frame;
      try {
        frame = new JsonObject(bytes);
      } catch (DecodeException | ClassCastException e) {
        error(null, "invalid_json", ApiError.Code.BAD_REQUEST, "a frame is not a JSON object: " + e.getMessage());
        return;
      }
      String replyAddress = frame.getValue("replyAddress") instanceof String r ? r : null;
      Object typeValue = frame.getValue("type");
      String type = typeValue instanceof String t ? t : null;
      if (type == null || !List.of("send", "publish", "register", "unregister", "ping").contains(type)) {
        error(replyAddress, "unknown_type", ApiError.Code.BAD_REQUEST, "frame type " + typeValue
            + " is not one of send, register, unregister, ping");
        return;
      }
      Caller client = client(frame, replyAddress);
      if (client == null) {
        return;
      }
      if (type.equals("ping")) {
        write(new JsonObject().put("type", "pong"));
        return;
      }
      Object addressValue = frame.getValue("address");
      if (!(addressValue instanceof String address) || !permitted(type, address)) {
        error(replyAddress, "access_denied", ApiError.Code.UNAUTHORIZED, type + " to address " + addressValue
            + " is not permitted on this bridge; "
            + (type.equals("publish") ? "publish is not part of the API, use send" : "send to one of "
            + Addresses.CLIENT_ADDRESSES + ", register only for a build's event address"));
        return;
      }
      ApiPermissions.Permission needed = ApiPermissions.forAddress(address);
      if (!client.may(needed.role())) {
        LOG.log(System.Logger.Level.WARNING, "bridge {0}: {1} to {2} by client ''{3}'' refused: role {4}, needs {5}",
            peer, type, address, client.name(), client.role().word(), needed.role().word());
        refusals.count(ApiRefusals.Interface.BRIDGE, ApiRefusals.Reason.FORBIDDEN);
        ApiError forbidden = ApiPermissions.forbidden(client, needed);
        error(replyAddress, "access_denied", forbidden.code(), forbidden.message());
        return;
      }
      switch (type) {
        case "send" -> send(client, address, replyAddress, frame.getValue("body"));
        case "register" -> register(address, replyAddress);
        default -> unregister(address);
      }
    }

    /** The client a frame's token belongs to; null (after answering) when it has none that is valid. */
    private Caller client(JsonObject frame, String replyAddress) {
      Object headers = frame.getValue("headers");
      Object token = headers instanceof JsonObject h ? h.getValue("token") : null;
      Caller client = token instanceof String t ? tokens.callerOf(t).orElse(null) : null;
      if (client != null) {
        return client;
      }
      refusals.count(ApiRefusals.Interface.BRIDGE, ApiRefusals.Reason.UNAUTHENTICATED);
      tokenFailures++;
      boolean last = tokenFailures >= settings.maxTokenFailures();
      LOG.log(System.Logger.Level.WARNING, "bridge {0}: frame refused, {1} token ({2} of {3})", peer,
          token == null ? "no" : "unknown", tokenFailures, settings.maxTokenFailures());
      error(replyAddress, "access_denied", ApiError.Code.UNAUTHORIZED, (token == null
          ? "the frame carries no token: put it in headers.token"
          : "the token is not valid (revoked or mistyped): give the token of a client in the coordinator's tokens"
          + " file, or ask the farm's operator for one")
          + (last ? "; too many refused frames, closing the connection" : ""));
      if (last) {
        close();
      }
      return null;
    }

    private boolean permitted(String type, String address) {
      return switch (type) {
        case "send" -> Addresses.CLIENT_ADDRESSES.contains(address);
        case "register", "unregister" -> !Addresses.CLIENT_ADDRESSES.contains(address)
            && Addresses.clientMayUse(address);
        default -> false;
      };
    }

    private void send(Caller client, String address, String replyAddress, Object body) {
      if (body != null && !(body instanceof JsonObject)) {
        error(replyAddress, "invalid_body", ApiError.Code.BAD_REQUEST, "the body sent to " + address
            + " must be a JSON object, not " + jsonType(body));
        return;
      }
      JsonObject request = body == null ? new JsonObject() : (JsonObject) body;
      DeliveryOptions options = CallerHeader.write(
          new DeliveryOptions().setSendTimeout(settings.requestTimeout().toMillis()), client);
      if (replyAddress == null) {
        vertx.eventBus().send(address, request, options);
        return;
      }
      requests.request(address, request, options).onComplete(reply -> {
        if (reply.succeeded()) {
          // every API answer is a JSON object; one sent as its text (a batch's results) reaches the client as one
          Object answer = reply.result().body();
          write(new JsonObject().put("type", "message").put("address", replyAddress).put("send", true)
              .put("body", answer instanceof String text ? new JsonObject(text) : answer));
        } else if (reply.cause() instanceof ReplyException failure) {
          write(new JsonObject().put("type", "err").put("address", replyAddress)
              .put("failureCode", failure.failureCode()).put("failureType", failure.failureType().name())
              .put("message", failure.getMessage() == null ? failure.failureType().name() : failure.getMessage()));
        } else {
          error(replyAddress, "internal", ApiError.Code.INTERNAL, String.valueOf(reply.cause()));
        }
      });
    }

    private void register(String address, String replyAddress) {
      if (registrations.containsKey(address)) {
        return;
      }
      if (registrations.size() >= MAX_REGISTRATIONS) {
        error(replyAddress, "too_many_registrations", ApiError.Code.CONFLICT, "this connection already follows "
            + MAX_REGISTRATIONS + " event streams; unregister one first");
        return;
      }
      registrations.put(address, vertx.eventBus().consumer(address, message -> write(new JsonObject()
          .put("type", "message").put("address", address).put("send", false).put("body", message.body()))));
    }

    private void unregister(String address) {
      MessageConsumer<Object> consumer = registrations.remove(address);
      if (consumer != null) {
        consumer.unregister();
      }
    }

    private void error(String replyAddress, String message, ApiError.Code code, String text) {
      JsonObject frame = new JsonObject().put("type", "err").put("message", message)
          .put("error", new JsonObject(WireJson.write(new ApiError(code, text, List.of()))));
      if (replyAddress != null) {
        frame.put("address", replyAddress).put("failureCode", code.httpStatus()).put("failureType", "RECIPIENT_FAILURE");
      }
      write(frame);
    }

    private static String jsonType(Object value) {
      if (value instanceof io.vertx.core.json.JsonArray) {
        return "an array";
      }
      if (value instanceof String) {
        return "a string";
      }
      if (value instanceof Number) {
        return "a number";
      }
      return value instanceof Boolean ? "a boolean" : "null";
    }

    private void write(JsonObject frame) {
      if (closing) {
        return;
      }
      Buffer json = frame.toBuffer();
      socket.write(Buffer.buffer(4 + json.length()).appendInt(json.length()).appendBuffer(json));
    }

    private void close() {
      closing = true;
      socket.end();
    }
  }
}
