package org.bootfarm.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * One connection to a coordinator's TCP event-bus bridge, for clients outside the cluster (the
 * {@code bootfarm} CLI): writes frames carrying the client's token, matches replies to requests by
 * their reply address, and hands the messages of registered addresses (build event streams) to
 * their listeners. Plain blocking sockets and one reader thread: a CLI run starts in milliseconds.
 */
public final class BridgeConnection implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A failure talking to the farm: unreachable, refused, or an error frame. */
  public static final class BridgeException extends Exception {
    private final int failureCode;
    private final JsonNode error;

    public BridgeException(String message, int failureCode, JsonNode error) {
      super(message);
      this.failureCode = failureCode;
      this.error = error;
    }

    /** The HTTP-style status of the refusal, or 0 for a transport failure. */
    public int failureCode() {
      return failureCode;
    }

    /** The coordinator's ApiError as JSON, when it sent one. */
    public JsonNode error() {
      return error;
    }
  }

  private final String farm;
  private final String token;
  private final Socket socket;
  private final DataOutputStream out;
  private final DataInputStream in;
  private final Duration timeout;
  private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final Map<String, Consumer<JsonNode>> listeners = new ConcurrentHashMap<>();
  private final CompletableFuture<JsonNode> pong = new CompletableFuture<>();
  private volatile CompletableFuture<JsonNode> nextPong = pong;
  private volatile String closedBecause;
  private final Thread reader;

  private BridgeConnection(String farm, String token, Socket socket, Duration timeout) throws IOException {
    this.farm = farm;
    this.token = token;
    this.socket = socket;
    this.timeout = timeout;
    this.out = new DataOutputStream(socket.getOutputStream());
    this.in = new DataInputStream(socket.getInputStream());
    this.reader = new Thread(this::readFrames, "bootfarm-bridge-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Connects to {@code host:port}.
   *
   * @param trustedCertificate a PEM certificate to trust for TLS, or null for plain TCP
   */
  public static BridgeConnection open(String farm, String token, Path trustedCertificate, Duration timeout)
      throws BridgeException {
    int colon = farm.lastIndexOf(':');
    if (colon <= 0 || colon == farm.length() - 1) {
      throw new BridgeException("farm address '" + farm + "' is not HOST:PORT (e.g. 127.0.0.1:7000)", 0, null);
    }
    String host = farm.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(farm.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new BridgeException("farm address '" + farm + "' has no port number after ':'", 0, null);
    }
    if (token == null || token.isBlank()) {
      throw new BridgeException("no token for the farm at " + farm
          + ": give --token, set BOOTFARM_TOKEN, or put token= in ~/.config/bootfarm/client.conf", 0, null);
    }
    try {
      Socket socket = trustedCertificate == null ? new Socket() : tlsSocket(trustedCertificate);
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      if (socket instanceof SSLSocket tls) {
        tls.startHandshake();
      }
      return new BridgeConnection(farm, token, socket, timeout);
    } catch (IOException | GeneralSecurityException e) {
      throw new BridgeException("cannot reach the farm at " + farm + " (" + e.getMessage()
          + "); is a coordinator running there with --bridge-port " + port + "?", 0, null);
    }
  }

  private static Socket tlsSocket(Path certificate) throws IOException, GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream pem = Files.newInputStream(certificate)) {
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        trust.setCertificateEntry("farm-" + i++, cert);
      }
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context.getSocketFactory().createSocket();
  }

  /** Sends a request and waits for its answer's body. */
  public JsonNode request(String address, Object body) throws BridgeException {
    String replyAddress = "bootfarm.client." + UUID.randomUUID();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(replyAddress, answer);
    try {
      ObjectNode frame = frame("send", address);
      frame.put("replyAddress", replyAddress);
      frame.set("body", JSON.valueToTree(body == null ? Map.of() : body));
      write(frame);
      return await(answer, "an answer from " + address);
    } finally {
      pending.remove(replyAddress);
    }
  }

  /** Follows an address (a build's events); the listener runs on the reader thread. */
  public void register(String address, Consumer<JsonNode> listener) throws BridgeException {
    listeners.put(address, listener);
    write(frame("register", address));
  }

  public void unregister(String address) throws BridgeException {
    listeners.remove(address);
    write(frame("unregister", address));
  }

  /** A round trip through the bridge: proves the connection and the token. */
  public void ping() throws BridgeException {
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    nextPong = answer;
    write(frame("ping", null));
    await(answer, "a pong");
  }

  private ObjectNode frame(String type, String address) {
    ObjectNode frame = JSON.createObjectNode();
    frame.put("type", type);
    if (address != null) {
      frame.put("address", address);
    }
    frame.putObject("headers").put("token", token);
    return frame;
  }

  private synchronized void write(ObjectNode frame) throws BridgeException {
    if (closedBecause != null) {
      throw new BridgeException("the connection to the farm at " + farm + " is closed: " + closedBecause, 0, null);
    }
    try {
      byte[] json = JSON.writeValueAsBytes(frame);
      out.writeInt(json.length);
      out.write(json);
      out.flush();
    } catch (IOException e) {
      throw new BridgeException("lost the connection to the farm at " + farm + ": " + e.getMessage(), 0, null);
    }
  }

  private JsonNode await(CompletableFuture<JsonNode> answer, String what) throws BridgeException {
    try {
      return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new BridgeException("no " + what + " from the farm at " + farm + " within " + timeout.toSeconds()
          + " s; is its coordinator overloaded or failing over?", 0, null);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BridgeException refused) {
        throw refused;
      }
      throw new BridgeException(String.valueOf(e.getCause()), 0, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BridgeException("interrupted while waiting for " + what, 0, null);
    }
  }

  private void readFrames() {
    try {
      while (true) {
        int length = in.readInt();
        byte[] json = new byte[length];
        in.readFully(json);
        dispatch(JSON.readTree(json));
      }
    } catch (EOFException e) {
      closed("the farm closed it");
    } catch (IOException e) {
      closed(e.getMessage());
    }
  }

  private void dispatch(JsonNode frame) {
    String type = frame.path("type").asText();
    String address = frame.path("address").asText(null);
    switch (type) {
      case "pong" -> nextPong.complete(frame);
      case "message" -> {
        CompletableFuture<JsonNode> answer = address == null ? null : pending.get(address);
        if (answer != null) {
          answer.complete(frame.path("body"));
        } else if (address != null && listeners.containsKey(address)) {
          listeners.get(address).accept(frame.path("body"));
        }
      }
      case "err" -> {
        BridgeException refused = refusal(frame);
        CompletableFuture<JsonNode> answer = address == null ? null : pending.get(address);
        if (answer != null) {
          answer.completeExceptionally(refused);
        } else {
          // an error not tied to a request (token, frame): fail whatever waits, the caller reports it
          pending.values().forEach(p -> p.completeExceptionally(refused));
          nextPong.completeExceptionally(refused);
        }
      }
      default -> { }
    }
  }

  /** The error frame as an exception: the ApiError the bridge or the coordinator sent, in words. */
  private BridgeException refusal(JsonNode frame) {
    JsonNode error = frame.get("error");
    if (error == null && frame.hasNonNull("message")) {
      try {
        JsonNode parsed = JSON.readTree(frame.get("message").asText());
        error = parsed != null && parsed.isObject() ? parsed : null;
      } catch (IOException e) {
        error = null;
      }
    }
    String text = error != null ? error.path("message").asText()
        + (error.path("problems").isEmpty() ? "" : ": " + String.join("; ",
            JSON.convertValue(error.path("problems"), String[].class)))
        : frame.path("message").asText("refused");
    int code = frame.path("failureCode").asInt(0);
    if (frame.path("failureType").asText().equals("NO_HANDLERS")) {
      text = "no coordinator is serving the API right now (failing over?); try again in a few seconds";
      code = 503;
    } else if (frame.path("failureType").asText().equals("TIMEOUT")) {
      text = "the coordinator did not answer in time";
      code = 503;
    }
    return new BridgeException(text, code, error);
  }

  private void closed(String why) {
    closedBecause = why;
    BridgeException lost = new BridgeException("the connection to the farm at " + farm + " closed: " + why, 0, null);
    pending.values().forEach(p -> p.completeExceptionally(lost));
    nextPong.completeExceptionally(lost);
  }

  @Override
  public void close() {
    closedBecause = "closed by this client";
    try {
      socket.close();
    } catch (IOException e) {
      // closing: nothing left to do with it
    }
  }
}
