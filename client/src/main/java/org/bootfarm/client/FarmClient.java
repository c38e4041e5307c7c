package org.bootfarm.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.bootfarm.cluster.ClusterNode;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.ClusterStartException;
import org.bootfarm.cluster.CoordinatorRequests;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.BuildQuery;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.FarmInfo;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.transfer.TlsTrust;

/**
 * A Java client of the farm for clustered programs and tests: it joins the farm's cluster as a
 * Hazelcast lite member ({@link NodeRole#CLIENT}) and speaks the event-bus API of version 1 ({@link
 * Addresses}), with only the protocol module's types. Every call returns a Vert.x {@link Future}
 * (block on it with {@code await()} outside an event loop); a refusal fails it with an {@link
 * ApiErrorException} carrying the coordinator's {@link ApiError}. Components are uploaded, and
 * artifacts and logs downloaded, over the coordinator's HTTP API, whose address the client learns on
 * {@link Addresses#INFO}. Only a coordinator's answers are taken ({@link CoordinatorRequests}, ADR 0064).
 */
public final class FarmClient implements AutoCloseable {
  /** How long a request waits for the coordinator's answer unless told otherwise. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** How often {@link #connect} tries again while no coordinator is up. */
  static final Duration RETRY_EVERY = Duration.ofMillis(500);

  private final Vertx vertx;
  private final ClusterNode node;
  /** Its requests: a member answering on the API's addresses in a coordinator's place is refused. */
  private final CoordinatorRequests requests;
  private final Duration requestTimeout;
  private final DeliveryOptions delivery;
  /** Carries submissions made at once in one message (docs/adr/0056). */
  private final SubmitBatcher submissions;
  /** What an {@code https} artifact URL may chain to besides the JDK's roots: the farm CA of a client certificate. */
  private final SSLContext trust;
  private volatile ArtifactTransfer transfer;
  private volatile Future<FarmInfo> info;

  private FarmClient(Vertx vertx, ClusterNode node, Duration requestTimeout) {
    this.vertx = vertx;
    this.node = node;
    this.requests = node != null ? node.coordinatorRequests() : CoordinatorRequests.unsecured(vertx);
    this.trust = farmTrust(node);
    this.transfer = new ArtifactTransfer(null, trust);
    this.requestTimeout = requestTimeout;
    this.delivery = new DeliveryOptions().setSendTimeout(requestTimeout.toMillis());
    this.submissions = new SubmitBatcher(vertx, requests, delivery, requestTimeout,
        request -> request(Addresses.SUBMIT, request, IdReply.class).map(IdReply::id));
  }

  /**
   * Joins the cluster of {@code settings} (role {@link NodeRole#CLIENT}; a farm started by the commands
   * admits it only with a client certificate of its CA, {@link ClusterSettings#withCredential}, ADR 0031)
   * and waits until a coordinator answers, for at most {@code patience}: a coordinator still starting
   * is waited for, one that never comes is a {@link ClusterStartException} saying so. Blocks: call it from {@code
   * main} or a test, never from an event loop.
   *
   * @throws ClusterStartException when the cluster could not be joined or no coordinator answered in time
   */
  public static FarmClient connect(ClusterSettings settings, Duration patience)
      throws ClusterStartException, InterruptedException {
    if (settings.role() != NodeRole.CLIENT) {
      throw new IllegalArgumentException("a FarmClient joins as " + NodeRole.CLIENT + ", not " + settings.role()
          + ": build its settings with ClusterSettings.of(NodeRole.CLIENT, ...)");
    }
    long deadline = System.nanoTime() + patience.toNanos();
    ClusterNode node = ClusterNode.startWhenCoordinatorIsUp(settings, patience, RETRY_EVERY, waiting -> { });
    FarmClient client = new FarmClient(node.vertx(), node, DEFAULT_REQUEST_TIMEOUT);
    try {
      client.awaitCoordinator(deadline, settings);
      return client;
    } catch (ClusterStartException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
  }

  /**
   * A client on a Vert.x the caller owns and keeps (clustered or not, e.g. the coordinator's own in a
   * test); {@link #close} leaves it running. Requests wait at most {@code requestTimeout}.
   */
  public static FarmClient on(Vertx vertx, Duration requestTimeout) {
    return new FarmClient(Objects.requireNonNull(vertx, "vertx"), null, requestTimeout);
  }

  /**
   * Sends {@code token} with this client's artifact uploads and downloads, which are HTTP requests to the
   * coordinator and need a token of its tokens file (role {@code submit} to upload, {@code read} to
   * download); its event-bus calls are a cluster member's and need none.
   */
  public FarmClient withToken(String token) {
    this.transfer = new ArtifactTransfer(token, trust);
    return this;
  }

  /** The JDK's roots and the farm CA of the node's certificate, for an HTTPS coordinator; null without one. */
  private static SSLContext farmTrust(ClusterNode node) {
    if (node == null || node.settings().credential() == null) {
      return null;
    }
    try {
      return TlsTrust.withRoots(List.of(node.settings().credential().caFile()));
    } catch (IOException e) {
      throw new UncheckedIOException("the client cannot trust its farm CA for HTTPS artifact transfers: "
          + e.getMessage() + " (check ca.pem of its member directory)", e);
    }
  }

  /** Pings until a coordinator's API answers, until the deadline. */
  private void awaitCoordinator(long deadline, ClusterSettings settings)
      throws ClusterStartException, InterruptedException {
    DeliveryOptions ping = new DeliveryOptions().setSendTimeout(1000);
    while (true) {
      try {
        requests.request(Addresses.PING, new JsonObject(), ping).await();
        return;
      } catch (ReplyException e) {
        if (e.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
          return; // something answers the API: a coordinator, even if it refused the ping
        }
        if (System.nanoTime() + RETRY_EVERY.toNanos() > deadline) {
          throw new ClusterStartException("client joined cluster '" + settings.clusterName() + "' at --join "
              + settings.join() + " but no coordinator answered on " + Addresses.PING + " (" + e.failureType()
              + "): the coordinator is still starting or failed; check its log, or wait longer", e);
        }
        Thread.sleep(RETRY_EVERY.toMillis());
      }
    }
  }

  /** The Vert.x this client runs on. */
  public Vertx vertx() {
    return vertx;
  }

  /** Completes when a coordinator answers {@link Addresses#PING}: the event bus round trip alone. */
  public Future<Void> ping() {
    return request(Addresses.PING, Map.of(), Pong.class).mapEmpty();
  }

  /**
   * Submits a build; completes with its id once the coordinator has durably recorded it. Submissions made while the
   * client's event loop is busy (many in flight) travel together in one message, each still answered on its own.
   */
  public Future<String> submit(SubmitRequest request) {
    return submissions.submit(request);
  }

  /** The build with this id (NOT_FOUND when there is none). */
  public Future<BuildView> get(String id) {
    return request(Addresses.GET, Map.of("id", id), BuildView.class);
  }

  /** Builds matching the query, newest first. */
  public Future<List<BuildView>> list(BuildQuery query) {
    return request(Addresses.LIST, query, BuildList.class).map(BuildList::builds);
  }

  /** Cancels a queued or running build; completes with it CANCELLED (CONFLICT when it had ended). */
  public Future<BuildView> cancel(String id) {
    return request(Addresses.CANCEL, Map.of("id", id), BuildView.class);
  }

  /** Rebuilds a SUCCEEDED build from its record (ADR 0037); completes with the new QUEUED build. */
  public Future<BuildView> rebuild(String id) {
    return request(Addresses.REBUILD, Map.of("id", id), BuildView.class);
  }

  /** The repo definitions the farm builds, with the problems of those it could not load. */
  public Future<List<RepoInfo>> repos() {
    return request(Addresses.REPOS, Map.of(), RepoList.class).map(RepoList::repos);
  }

  /** The live workers as their last heartbeats described them. */
  public Future<List<WorkerInfo>> workers() {
    return request(Addresses.WORKERS, Map.of(), WorkerList.class).map(WorkerList::workers);
  }

  /** The coordinator's version and HTTP base URL, asked once and remembered. */
  public Future<FarmInfo> info() {
    Future<FarmInfo> known = info;
    if (known == null || known.failed()) {
      known = request(Addresses.INFO, Map.of(), FarmInfo.class);
      info = known;
    }
    return known;
  }

  /**
   * Follows a build: {@code events} receives its stage, progress, log and state events in the order
   * they arrive, until the final state event, after which the subscription ends by itself. See
   * {@link BuildFollowing#ready} for when events start to be delivered.
   */
  public BuildFollowing follow(String id, Consumer<BuildEvent> events) {
    BuildFollowing following = new BuildFollowing(id, events);
    MessageConsumer<Object> consumer;
    try {
      consumer = vertx.eventBus().consumer(Addresses.buildEvents(id));
    } catch (IllegalArgumentException badId) {
      following.failed(new ApiErrorException(new ApiError(ApiError.Code.BAD_REQUEST, badId.getMessage(), List.of())));
      return following;
    }
    following.attach(consumer);
    consumer.completion().compose(registered -> get(id))
        .onSuccess(following::registered)
        .onFailure(e -> following.failed(ApiErrorException.of(Addresses.buildEvents(id), e, requestTimeout)));
    return following;
  }

  /**
   * Uploads a file to the coordinator's artifact store under its sha256 ({@code PUT
   * /api/v1/artifacts/{sha256}}), which the store checks; completes with the sha256 to name it by in
   * a {@link SubmitRequest}. Uploading what is already stored costs one request. Fails with an
   * {@link ApiErrorException} when the store refuses it, an {@link IOException} when the file cannot be
   * read or the store not reached.
   */
  public Future<String> upload(Path file) {
    return info().compose(farm -> vertx.executeBlocking(() -> transfer.upload(farm.artifactsUrl(), file), false));
  }

  /**
   * Downloads an artifact (an output, a build's log) from the coordinator's store into {@code file},
   * replacing it, and checks that the bytes have the sha256 they were asked by.
   */
  public Future<Path> download(String sha256, Path file) {
    return info().compose(farm -> vertx.executeBlocking(() -> transfer.download(farm.artifactsUrl(), sha256, file),
        false));
  }

  /** Leaves the cluster when this client joined it; a Vert.x given to {@link #on} stays up. */
  @Override
  public void close() {
    if (node != null) {
      node.close();
    }
  }

  private <T> Future<T> request(String address, Object body, Class<T> type) {
    return requests.request(address, new JsonObject(WireJson.write(body)), delivery)
        .recover(failure -> Future.failedFuture(ApiErrorException.of(address, failure, requestTimeout)))
        .map(message -> {
          try {
            return WireJson.read(String.valueOf(message.body()), type);
          } catch (WireJson.WireFormatException e) {
            throw new ApiErrorException(new ApiError(ApiError.Code.INTERNAL, "the answer on " + address
                + " is not a " + type.getSimpleName() + " of API v1 (" + e.getMessage()
                + "); client and coordinator versions differ?", List.of()));
          }
        });
  }


  /** The answer to a ping. */
  private record Pong(boolean ok) {}

  /** The answer to a submission. */
  private record IdReply(String id) {}

  /** The answer to a build listing. */
  private record BuildList(List<BuildView> builds) {}

  /** The answer to a repo listing. */
  private record RepoList(List<RepoInfo> repos) {}

  /** The answer to a worker listing. */
  private record WorkerList(List<WorkerInfo> workers) {}
}
