package org.bootfarm.coordinator.replication;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.cluster.identity.SenderCheck;
import org.bootfarm.coordinator.access.CoordinatorTokens;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.transfer.ArtifactTransferException;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.bootfarm.protocol.transfer.TlsTrust;

/**
 * Keeps every coordinator's artifact store holding what any of them stored: a coordinator that
 * takes an upload announces its sha256 and its own node id on {@link #STORED} (published to
 * all), and each other coordinator copies the object from that coordinator through {@link
 * ArtifactStore#put}, which checks the hash. A standby forwarding a submission first asks the
 * active coordinator ({@link #FETCH}, consumed by the active one only) to copy the components the
 * client uploaded to the standby, and waits for it, so that "upload, then submit" works on any
 * coordinator without a race against the announcement. Copies are fetched with the coordinators' own token
 * ({@code access.FarmAccess}), which every coordinator of the cluster accepts, over {@code https} trusting
 * the JDK's roots and the farm CA ({@link #peerTrust}), so coordinators serving {@code --tls-cert} copy from
 * each other with their host names checked.
 *
 * <p>Only a coordinator's messages are acted on ({@link SenderCheck}), only a coordinator's answers believed
 * ({@link CoordinatorRequests}), and the URL a copy is fetched from, with that token, is never a message's: it is
 * the one the named coordinator sealed for itself in {@link CoordinatorUrls}, and the message's sender must be that
 * coordinator (ADR 0064). Each body still carries {@code source}, the sender's URL, for coordinators of earlier
 * versions during an upgrade; it is believed only when the sender sealed exactly that URL.
 */
public final class ArtifactReplication implements AutoCloseable {
  /** Published: {@code {"sha256", "coordinator", "source"}} after an upload; coordinator to coordinator only. */
  public static final String STORED = "bootfarm.v1.coordinators.artifacts.stored";
  /** Request to the active coordinator: {@code {"sha256", "coordinator", "source"}}; answered once it holds it. */
  public static final String FETCH = "bootfarm.v1.coordinators.artifacts.fetch";
  /**
   * Request to the standby coordinators (one answers): {@code {"sha256s": [...], "coordinator", "source"}}; the standby
   * copies from that coordinator what it lacks and answers {@code {"node", "held": [...]}} once it holds them all (ADR
   * 0042).
   */
  public static final String HOLD = "bootfarm.v1.coordinators.artifacts.hold";
  /** The body field naming the coordinator (its node id) to copy from: the sender itself. */
  static final String COORDINATOR = "coordinator";
  private static final System.Logger LOG = System.getLogger(ArtifactReplication.class.getName());

  private final Vertx vertx;
  private final ArtifactStore store;
  private final CoordinatorUrls urls;
  private final SenderCheck senders;
  private final CoordinatorRequests requests;
  /** The farm's one artifact client: timeouts, and what it reads goes through {@link ArtifactStore#put}. */
  private final ArtifactStoreClient artifacts;
  private MessageConsumer<Object> stored;
  private MessageConsumer<Object> fetch;
  private volatile MessageConsumer<Object> hold;

  /**
   * @param urls this coordinator's published URL, and the only source of the others' ({@link CoordinatorUrls})
   * @param senders who sent a message, by certificate: only coordinators' are acted on
   * @param requests this coordinator's requests to the others, whose answers count only from a coordinator
   * @param token what the other coordinators' artifact stores accept from a coordinator (null: none)
   * @param trust the roots another coordinator's {@code https} certificate must chain to ({@link #peerTrust})
   */
  public ArtifactReplication(Vertx vertx, ArtifactStore store, CoordinatorUrls urls, SenderCheck senders,
      CoordinatorRequests requests, String token, SSLContext trust) {
    this.vertx = vertx;
    this.store = store;
    this.urls = urls;
    this.senders = senders;
    this.requests = requests;
    this.artifacts = ArtifactStoreClient.withToken(token, trust);
  }

  /**
   * What a coordinator holding {@code credential} trusts another coordinator's HTTPS API by: the JDK's roots and
   * its farm CA ({@code ca.pem} of its member directory); without a credential (one-JVM tests) the JDK's only.
   *
   * @throws IOException naming the CA file that cannot be read
   */
  public static SSLContext peerTrust(MemberCredential credential) throws IOException {
    return TlsTrust.withRoots(credential == null ? List.of() : List.of(credential.caFile()));
  }

  /** Starts copying what the other coordinators announce. */
  public Future<Void> start() {
    stored = vertx.eventBus().consumer(STORED, message -> {
      if (!(message.body() instanceof JsonObject body)) {
        return;
      }
      String sha256 = body.getString("sha256");
      String what = "an announcement that artifact " + sha256 + " was stored";
      if (ours(body) || !senders.fromCoordinator(message, what)) {
        return;
      }
      vertx.executeBlocking(() -> !store.exists(sha256) && copy(sha256, source(message, body, what)), false)
          .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "bootfarm: could not copy artifact " + sha256
              + " announced by coordinator " + named(body) + " into " + store.directory() + ": " + e.getMessage()));
    });
    return stored.completion();
  }

  /** Tells the other coordinators this one stored an object (call it after every upload). */
  public void announce(ArtifactStore.PutResult result) {
    vertx.eventBus().publish(STORED, fromHere().put("sha256", result.sha256()));
  }

  /**
   * Called when this coordinator becomes a standby ({@code nodeId}, its cluster node id): it answers {@link #HOLD},
   * copying what it lacks through {@link ArtifactStore#put}, which checks the hash, before it says it holds it.
   */
  public Future<Void> serveHolds(String nodeId) {
    if (hold != null) {
      return Future.succeededFuture();
    }
    hold = vertx.eventBus().consumer(HOLD, message -> {
      JsonObject body = message.body() instanceof JsonObject json ? json : new JsonObject();
      List<String> sha256s = body.getJsonArray("sha256s", new JsonArray()).stream()
          .map(String::valueOf).toList();
      String what = "a request to hold artifacts " + sha256s;
      if (!senders.fromCoordinator(message, what)) {
        message.fail(403, "only a coordinator may ask a standby to hold artifacts (ADR 0064)");
        return;
      }
      if (ours(body)) {
        message.fail(409, "coordinator " + nodeId + " is the one asking: it cannot be its own standby");
        return;
      }
      vertx.executeBlocking(() -> {
        String source = null;
        for (String sha256 : sha256s) {
          if (!store.touch(sha256)) { // held already: its age restarts, retention keeps it until a build names it
            source = source != null ? source : source(message, body, what);
            copy(sha256, source);
          }
        }
        return sha256s;
      }, false).onSuccess(held -> message.reply(new JsonObject().put("node", nodeId).put("held", held)))
          .onFailure(e -> message.fail(502, "standby coordinator " + nodeId + " could not copy the inputs "
              + sha256s + " from coordinator " + named(body) + ": " + e.getMessage()));
    });
    return hold.completion();
  }

  /**
   * Asks one standby coordinator to hold {@code sha256s}, copying them from this coordinator; the answer's {@code
   * node} is the standby that holds them now. Fails with {@link io.vertx.core.eventbus.ReplyFailure#NO_HANDLERS}
   * when no standby serves {@link #HOLD}, with a timeout after {@code timeout}.
   */
  public Future<JsonObject> askToHold(Collection<String> sha256s, Duration timeout) {
    return requests.<Object>request(HOLD, fromHere().put("sha256s", new JsonArray(List.copyOf(sha256s))),
        new DeliveryOptions().setSendTimeout(timeout.toMillis()))
        .map(reply -> reply.body() instanceof JsonObject json ? json : new JsonObject());
  }

  /** Called when this coordinator becomes the active one: it answers {@link #FETCH} and no longer {@link #HOLD}. */
  public Future<Void> serveFetches() {
    if (hold != null) {
      hold.unregister();
      hold = null;
    }
    fetch = vertx.eventBus().consumer(FETCH, message -> {
      JsonObject body = message.body() instanceof JsonObject json ? json : new JsonObject();
      String sha256 = body.getString("sha256");
      String what = "a request to fetch artifact " + sha256;
      if (!senders.fromCoordinator(message, what)) {
        message.fail(403, "only a coordinator may ask the active coordinator to fetch an artifact (ADR 0064)");
        return;
      }
      vertx.executeBlocking(() -> !store.exists(sha256) && copy(sha256, source(message, body, what)), false)
          .onSuccess(copied -> message.reply(new JsonObject().put("sha256", sha256).put("copied", copied)))
          .onFailure(e -> message.fail(502, "the active coordinator could not copy artifact " + sha256
              + " from coordinator " + named(body) + ": " + e.getMessage()));
    });
    return fetch.completion();
  }

  /**
   * Blocks until the active coordinator holds {@code sha256}, which this coordinator holds, or
   * {@code timeout} passes. Call off the event loop.
   *
   * @throws IOException saying why the active one does not have it
   */
  public void copyToActive(String sha256, Duration timeout) throws IOException {
    try {
      requests.request(FETCH, fromHere().put("sha256", sha256), new DeliveryOptions()
          .setSendTimeout(timeout.toMillis())).toCompletionStage().toCompletableFuture()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("the active coordinator did not copy artifact " + sha256 + " from " + urls.url() + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the active coordinator copied artifact " + sha256, e);
    }
  }

  /**
   * Copies from the coordinator {@code nodeId} (the active one) every object of {@code sha256s} this store lacks: a
   * standby joining later catches up with what was stored before it joined. Blocks; failures are logged and skipped.
   *
   * @return how many objects were copied
   */
  public int copyMissing(Collection<String> sha256s, String nodeId) {
    String source = urls.of(nodeId).orElse(null);
    if (source == null) {
      LOG.log(System.Logger.Level.WARNING, "bootfarm: coordinator " + nodeId + " published no URL sealed by a"
          + " coordinator in " + CoordinatorUrls.MAP + "; the " + sha256s.size() + " artifacts this one lacks are"
          + " copied only as they are announced or asked for");
      return 0;
    }
    int copied = 0;
    for (String sha256 : new TreeSet<>(sha256s)) {
      try {
        if (copy(sha256, source)) {
          copied++;
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "bootfarm: could not copy artifact " + sha256 + " from " + source
            + " into " + store.directory() + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return copied;
  }

  /** A body naming this coordinator as the one to copy from, and its URL for coordinators of earlier versions. */
  private JsonObject fromHere() {
    return new JsonObject().put(COORDINATOR, urls.nodeId()).put("source", urls.url());
  }

  /** Whether {@code body} names this coordinator as the one to copy from. */
  private boolean ours(JsonObject body) {
    return urls.nodeId().equals(body.getValue(COORDINATOR))
        || (body.getValue(COORDINATOR) == null && urls.url().equals(body.getValue("source")));
  }

  private static String named(JsonObject body) {
    Object node = body.getValue(COORDINATOR);
    return node != null ? String.valueOf(node) : "at " + body.getValue("source");
  }

  /**
   * The URL to copy from for {@code message}, a coordinator's: the one the coordinator it names sealed for itself, when
   * that is its sender ({@link CoordinatorUrls#sourceFor}). Blocks (the cluster map).
   *
   * @throws IOException when there is none, the refusal logged and counted when another coordinator sealed it
   */
  private String source(Message<Object> message, JsonObject body, String what) throws IOException {
    MemberIdentity sender = senders.sender(message).orElse(null);
    String node = body.getValue(COORDINATOR) instanceof String named ? named : null;
    String claimed = body.getValue("source") instanceof String url ? url : null;
    Optional<String> source = urls.sourceFor(sender, node, claimed);
    if (source.isPresent()) {
      return source.get();
    }
    if (sender != null) {
      senders.refuse(message, sender, what + " naming coordinator " + named(body), "a coordinator asks to copy only"
          + " from the URL it sealed for itself in " + CoordinatorUrls.MAP + ", never from one a message names");
    }
    throw new IOException("coordinator " + named(body) + " has no URL in " + CoordinatorUrls.MAP + " sealed by "
        + (sender != null ? sender : "a coordinator") + "; nothing is fetched from a URL a message names");
  }

  /**
   * Copies one object from another coordinator's store unless this one has it already; the store
   * writes it to a temporary file, checks the bytes against {@code sha256} and only then renames it in.
   * {@code source} is a URL {@link CoordinatorUrls} gave, never one a message named: the coordinators' token goes
   * with the request.
   *
   * @return whether anything was copied
   */
  boolean copy(String sha256, String source) throws IOException, InterruptedException {
    ArtifactStore.requireValidId(sha256);
    if (store.exists(sha256)) {
      return false;
    }
    if (source == null || !source.startsWith("http")) {
      throw new IOException("no coordinator URL to copy artifact " + sha256 + " from (got '" + source + "')");
    }
    try {
      return artifacts.read(source, sha256, in -> store.put(sha256, in).created());
    } catch (ArtifactTransferException e) {
      if (e.status() != 401) {
        throw e;
      }
      // a coordinator that joined a moment ago: the source may not have heard its token yet, which each
      // coordinator announces every CoordinatorTokens.ANNOUNCE_EVERY_MILLIS; asked again after two of those
      Thread.sleep(2 * CoordinatorTokens.ANNOUNCE_EVERY_MILLIS);
      return artifacts.read(source, sha256, in -> store.put(sha256, in).created());
    }
  }

  @Override
  public void close() {
    if (stored != null) {
      stored.unregister();
    }
    if (fetch != null) {
      fetch.unregister();
    }
    if (hold != null) {
      hold.unregister();
    }
  }
}
