package org.bootfarm.protocol.transfer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.bootfarm.protocol.Sha256;

/**
 * The one HTTP client of a coordinator's content-addressed artifact store ({@code GET} and {@code
 * PUT /api/v1/artifacts/{sha256}}, with {@code Authorization: Bearer <token>} when given a token), used by the worker, the client
 * library and coordinator-to-coordinator replication alike. It connects within {@link
 * Timeouts#connect()}, gives up on a store that sends nothing for {@link Timeouts#idle()} (while
 * waiting for the answer or in the middle of a body), downloads into a temporary file beside the
 * target that is renamed into place only when its sha256 is the one asked for, and says in its
 * {@link ArtifactTransferException} whether another try can help. Over {@code https} it trusts the
 * roots it is given ({@link TlsTrust}: the JDK's and the farm CA, or a client's {@code --tls-ca}).
 *
 * <p>It lives in the protocol module, under the wire contract it speaks, because every module
 * that moves artifacts (worker, client, coordinator) depends on protocol already and on nothing
 * else in common; it uses the JDK's {@code java.net.http}, so protocol gains no dependency.
 */
public final class ArtifactStoreClient {
  /** The path under a coordinator's HTTP base URL where its artifact store answers, followed by the sha256. */
  public static final String PATH = "/api/v1/artifacts/";

  /**
   * How long a transfer may wait.
   *
   * @param connect for the TCP connection to the store
   * @param idle for the store's answer, and between two pieces of a body in either direction
   */
  public record Timeouts(Duration connect, Duration idle) {
    /** Ten seconds to connect, a minute of silence. */
    public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(60));

    public Timeouts {
      Objects.requireNonNull(connect, "connect");
      Objects.requireNonNull(idle, "idle");
    }
  }

  /** Reads a download's body (to its end or not), e.g. into a store that checks it itself. */
  @FunctionalInterface
  public interface BodyReader<T> {
    T read(InputStream body) throws IOException;
  }

  /** One daemon thread per process ends the downloads that went quiet. */
  private static final ScheduledExecutorService IDLE_WATCH = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "bootfarm-artifact-idle-watch");
    thread.setDaemon(true);
    return thread;
  });

  private final Timeouts timeouts;
  private final HttpClient http;
  private final String token;

  /** A client with {@link Timeouts#DEFAULT} and no token (a store that asks for none). */
  public ArtifactStoreClient() {
    this(Timeouts.DEFAULT);
  }

  public ArtifactStoreClient(Timeouts timeouts) {
    this(timeouts, null);
  }

  /** @param token sent as {@code Authorization: Bearer <token>} with every request; null: none */
  public ArtifactStoreClient(Timeouts timeouts, String token) {
    this(timeouts, token, null);
  }

  /**
   * @param token sent as {@code Authorization: Bearer <token>} with every request; null: none
   * @param trust the roots an {@code https} store's certificate must chain to ({@link TlsTrust#withRoots}; host
   *     names are checked as always); null: the JDK's own
   */
  public ArtifactStoreClient(Timeouts timeouts, String token, SSLContext trust) {
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeouts.connect());
    this.http = (trust == null ? builder : builder.sslContext(trust)).build();
    this.token = token;
  }

  /** A client with {@link Timeouts#DEFAULT} that sends {@code token} (null: none). */
  public static ArtifactStoreClient withToken(String token) {
    return withToken(token, null);
  }

  /**
   * A client with {@link Timeouts#DEFAULT} that sends {@code token} (null: none) and trusts {@code trust}'s roots
   * for an {@code https} store (null: the JDK's).
   */
  public static ArtifactStoreClient withToken(String token, SSLContext trust) {
    return new ArtifactStoreClient(Timeouts.DEFAULT, token, trust);
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
    return token == null ? builder : builder.header("Authorization", "Bearer " + token);
  }

  /** Where the object {@code sha256} is at the store of the coordinator at {@code baseUrl}. */
  public static URI artifactUri(String baseUrl, String sha256) {
    return URI.create(baseUrl + PATH + sha256);
  }

  /**
   * Uploads a file under its sha256, which the store checks; uploading what the store holds already
   * costs one request.
   */
  public void upload(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    URI uri = artifactUri(baseUrl, sha256);
    String what = "upload of " + file.getFileName() + " (" + sha256 + ")";
    Progress progress = new Progress();
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofFile(file);
    HttpRequest request = request(uri)
        .PUT(HttpRequest.BodyPublishers.fromPublisher(progress.counting(body), body.contentLength())).build();
    HttpResponse<String> response = await(what, uri, progress,
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    if (response.statusCode() != 200 && response.statusCode() != 201) {
      throw ArtifactTransferException.answered(what, uri, response.statusCode(), response.body());
    }
  }

  /**
   * Which of {@code sha256s} the store at {@code baseUrl} lacks ({@code POST /api/v1/artifacts/missing}), in the
   * order asked: what a worker must upload to archive a build's inputs. One request per 10,000 hashes.
   */
  public java.util.List<String> missing(String baseUrl, java.util.Collection<String> sha256s)
      throws IOException, InterruptedException {
    java.util.List<String> asked = java.util.List.copyOf(new java.util.LinkedHashSet<>(sha256s));
    java.util.List<String> lacking = new java.util.ArrayList<>();
    URI uri = URI.create(baseUrl + PATH + "missing");
    for (int from = 0; from < asked.size(); from += 10_000) {
      java.util.List<String> part = asked.subList(from, Math.min(asked.size(), from + 10_000));
      String what = "query of which of " + part.size() + " artifact(s) the store lacks";
      Progress progress = new Progress();
      String json = part.stream().map(h -> "\"" + h + "\"").collect(java.util.stream.Collectors.joining(",", "[", "]"));
      HttpRequest request = request(uri).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json)).build();
      HttpResponse<String> response = await(what, uri, progress,
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
      if (response.statusCode() != 200) {
        throw ArtifactTransferException.answered(what, uri, response.statusCode(), response.body());
      }
      java.util.Set<String> wanted = new java.util.HashSet<>(part);
      java.util.regex.Matcher hash = java.util.regex.Pattern.compile("\"([0-9a-f]{64})\"").matcher(response.body());
      while (hash.find()) {
        if (wanted.contains(hash.group(1))) {
          lacking.add(hash.group(1));
        }
      }
    }
    return lacking;
  }

  /**
   * Downloads an object into {@code file} (replacing it) through a temporary file beside it, renamed
   * into place only when the bytes have the sha256 asked for; on any failure (a mismatch, a timeout,
   * an interrupt) nothing is left behind and an existing {@code file} is untouched.
   */
  public Path download(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    URI uri = artifactUri(baseUrl, sha256);
    Path partial = Files.createTempFile(parent, "." + file.getFileName() + ".", ".part");
    try {
      String actual = read(baseUrl, sha256, in -> {
        try (OutputStream out = Files.newOutputStream(partial); DigestOutputStream hashing = Sha256.hashing(out)) {
          in.transferTo(hashing);
          hashing.flush();
          return Sha256.hex(hashing.getMessageDigest());
        }
      });
      if (!actual.equals(sha256)) {
        throw ArtifactTransferException.hashMismatch(uri, sha256, actual);
      }
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return file;
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * Downloads an object and hands its body to {@code reader}, which must check the bytes against
   * {@code sha256} itself (as the coordinator's store does).
   */
  public <T> T read(String baseUrl, String sha256, BodyReader<T> reader) throws IOException, InterruptedException {
    URI uri = artifactUri(baseUrl, sha256);
    String what = "download of artifact " + sha256;
    Progress progress = new Progress();
    HttpResponse<InputStream> response = await(what, uri, progress,
        http.sendAsync(request(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
    try (WatchedBody body = new WatchedBody(response.body(), progress, what, uri)) {
      if (response.statusCode() != 200) {
        throw ArtifactTransferException.answered(what, uri, response.statusCode(),
            new String(body.readAllBytes(), StandardCharsets.UTF_8));
      }
      return reader.read(body);
    } catch (InterruptedIOException | ClosedByInterruptException e) { // the body, or the file it goes to
      Thread.interrupted();
      InterruptedException interrupted = new InterruptedException(e.getMessage());
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  /**
   * The body of {@code GET} {@code baseUrl + path}, a small JSON answer of the coordinator's HTTP API (such as
   * {@code /api/v1/keys}), sent with the token.
   */
  public String get(String baseUrl, String path) throws IOException, InterruptedException {
    URI uri = URI.create(baseUrl + path);
    String what = "GET " + path;
    HttpResponse<String> response = await(what, uri, new Progress(),
        http.sendAsync(request(uri).GET().build(), HttpResponse.BodyHandlers.ofString()));
    if (response.statusCode() != 200) {
      throw ArtifactTransferException.answered(what, uri, response.statusCode(), response.body());
    }
    return response.body();
  }

  /** Waits for the store's answer while the request makes progress, giving up after {@code idle} without any. */
  private <T> HttpResponse<T> await(String what, URI uri, Progress progress, CompletableFuture<HttpResponse<T>> sent)
      throws ArtifactTransferException, InterruptedException {
    long idle = timeouts.idle().toNanos();
    try {
      while (true) {
        long wait = progress.last() + idle - System.nanoTime();
        try {
          if (wait <= 0) {
            throw new TimeoutException();
          }
          return sent.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          if (System.nanoTime() - progress.last() >= idle) {
            throw ArtifactTransferException.timedOut(what, uri, "sent nothing for " + timeouts.idle());
          }
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HttpTimeoutException timeout) {
        throw ArtifactTransferException.timedOut(what, uri, "did not connect within " + timeouts.connect());
      }
      if (cause instanceof javax.net.ssl.SSLHandshakeException handshake) {
        throw ArtifactTransferException.untrusted(what, uri, handshake);
      }
      throw ArtifactTransferException.unreachable(what, uri,
          cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause));
    } finally {
      sent.cancel(true); // a no-op once answered; otherwise it ends the exchange
    }
  }

  /** When a transfer last moved a byte (or started). */
  private static final class Progress {
    private volatile long last = System.nanoTime();

    long last() {
      return last;
    }

    void moved() {
      last = System.nanoTime();
    }

    /** {@code body}, noting progress at every piece it sends. */
    Flow.Publisher<ByteBuffer> counting(Flow.Publisher<ByteBuffer> body) {
      return subscriber -> body.subscribe(new Flow.Subscriber<>() {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
          subscriber.onSubscribe(subscription);
        }

        @Override
        public void onNext(ByteBuffer item) {
          moved();
          subscriber.onNext(item);
        }

        @Override
        public void onError(Throwable throwable) {
          subscriber.onError(throwable);
        }

        @Override
        public void onComplete() {
          subscriber.onComplete();
        }
      });
    }
  }

  /**
   * A download's body that notes its progress, is closed by {@link #IDLE_WATCH} when it went quiet
   * for the idle timeout, and turns that and a broken connection into an {@link
   * ArtifactTransferException} worth retrying.
   */
  private final class WatchedBody extends FilterInputStream {
    private final Progress progress;
    private final String what;
    private final URI uri;
    private volatile boolean quiet;
    private volatile boolean closed;

    WatchedBody(InputStream in, Progress progress, String what, URI uri) {
      super(in);
      this.progress = progress;
      this.what = what;
      this.uri = uri;
      progress.moved();
      watch();
    }

    private void watch() {
      long idle = timeouts.idle().toNanos();
      long due = progress.last() + idle - System.nanoTime();
      IDLE_WATCH.schedule(() -> {
        if (closed) {
          return;
        }
        if (System.nanoTime() - progress.last() >= idle) {
          quiet = true;
          try {
            in.close(); // wakes the reader, which sees `quiet`
          } catch (IOException ignored) {
            // closing is all that is left to do
          }
        } else {
          watch();
        }
      }, Math.max(due, 0), TimeUnit.NANOSECONDS);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n;
      try {
        n = in.read(buffer, offset, length);
      } catch (IOException e) {
        throw failure(e);
      }
      if (quiet) {
        throw failure(null);
      }
      progress.moved();
      return n;
    }

    private IOException failure(IOException e) {
      if (quiet) {
        return ArtifactTransferException.timedOut(what, uri, "sent nothing for " + timeouts.idle() + " mid-body");
      }
      if (Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
        return new InterruptedIOException(what + " at " + uri + " interrupted");
      }
      return ArtifactTransferException.brokeOff(what, uri, e);
    }

    @Override
    public void close() throws IOException {
      closed = true;
      super.close();
    }
  }
}
