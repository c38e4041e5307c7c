package org.bootfarm.coordinator.replication;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.bootfarm.cluster.ClusterMember;
import org.bootfarm.cluster.ClusterMembership;
import org.bootfarm.coordinator.InputReplicas;

/**
 * The active coordinator's side of "accepted means kept" for artifacts (docs/adr/0042): before a submission is
 * answered, one live standby coordinator confirms it holds the build's inputs ({@link ArtifactReplication#HOLD}).
 * What each standby confirmed is remembered for {@link #TRUSTED_FOR}, so a definition or component already
 * confirmed costs no round trip. A standby that does not confirm within {@link #WAIT} does not stop the farm: the
 * build is accepted, counted in {@code bootfarm_submits_unreplicated_total} and logged, and for {@link #LAGGING_FOR}
 * submissions do not wait for it again. With no live standby nothing is waited for.
 */
public final class StandbyConfirmations implements InputReplicas {
  /** How long a submission waits for a standby to hold its inputs. */
  public static final Duration WAIT = Duration.ofSeconds(5);
  /** After a standby let {@link #WAIT} pass, how long submissions are accepted without asking (and counted). */
  public static final Duration LAGGING_FOR = Duration.ofSeconds(30);
  /**
   * How long a confirmation is believed: well under the artifact store's collect grace (an hour, {@code
   * ArtifactStore.Options}), since a standby restarts an object's age when it confirms holding it.
   */
  public static final Duration TRUSTED_FOR = Duration.ofMinutes(10);
  /** How many confirmed digests are remembered per standby before the memory starts over. */
  static final int REMEMBERED = 100_000;
  private static final System.Logger LOG = System.getLogger(StandbyConfirmations.class.getName());

  private final ArtifactReplication replication;
  private final Supplier<Set<String>> standbys;
  private final Duration wait;
  private final Duration laggingFor;
  private final Counter unreplicated;
  private final Counter asked;
  /** Standby node id → confirmed sha256 → when it was confirmed ({@link System#nanoTime}). */
  private final Map<String, Map<String, Long>> confirmed = new ConcurrentHashMap<>();
  private volatile long askAgainAt = System.nanoTime();
  /** When the last warning was logged: at most one a second, the counter counts every one. */
  private volatile long loggedAt = System.nanoTime() - TimeUnit.SECONDS.toNanos(2);

  /**
   * What a coordinator's submissions wait for: the standbys' confirmations on a shared store in a cluster (ADR 0042);
   * nothing otherwise, since without a shared store no standby could take over the build.
   */
  public static InputReplicas forStore(boolean sharedStore, ArtifactReplication replication,
      ClusterMembership membership, MeterRegistry registry) {
    if (sharedStore && membership != null) {
      return of(replication, membership, registry);
    }
    unreplicated(registry); // at 0: every coordinator exports the farm's whole metric catalogue (docs/metrics.md)
    asked(registry);
    return InputReplicas.NONE;
  }

  /** Confirmations from the live standbys of the cluster's {@code membership}: every coordinator member but this one. */
  public static StandbyConfirmations of(ArtifactReplication replication, ClusterMembership membership,
      MeterRegistry registry) {
    return new StandbyConfirmations(replication, () -> membership.coordinators().stream()
        .filter(member -> !member.local()).map(ClusterMember::nodeId).collect(Collectors.toSet()), registry);
  }

  /**
   * @param replication asks the standbys and names this coordinator's URL they copy from
   * @param standbys the node ids of the live standby coordinators (the cluster's membership, this one excluded)
   */
  public StandbyConfirmations(ArtifactReplication replication, Supplier<Set<String>> standbys,
      MeterRegistry registry) {
    this(replication, standbys, registry, WAIT, LAGGING_FOR);
  }

  StandbyConfirmations(ArtifactReplication replication, Supplier<Set<String>> standbys, MeterRegistry registry,
      Duration wait, Duration laggingFor) {
    this.replication = replication;
    this.standbys = standbys;
    this.wait = wait;
    this.laggingFor = laggingFor;
    this.unreplicated = unreplicated(registry);
    this.asked = asked(registry);
  }

  private static Counter unreplicated(MeterRegistry registry) {
    return Counter.builder("bootfarm.submits.unreplicated")
        .description("builds accepted while a live standby coordinator had not confirmed holding their inputs")
        .register(registry);
  }

  private static Counter asked(MeterRegistry registry) {
    return Counter.builder("bootfarm.standby.confirmations")
        .description("round trips asking a standby coordinator to hold a submission's inputs").register(registry);
  }

  @Override
  public void awaitHeld(String buildId, Set<String> sha256s) {
    if (sha256s.isEmpty()) {
      return;
    }
    Set<String> live = standbys.get();
    if (live.isEmpty()) {
      return; // alone: accepted as a single coordinator accepts
    }
    confirmed.keySet().retainAll(live);
    long now = System.nanoTime();
    for (String node : live) {
      if (holds(confirmed.get(node), sha256s, now)) {
        return;
      }
    }
    if (now - askAgainAt < 0) {
      unreplicated(buildId, sha256s, "a standby let " + wait.toSeconds() + " s pass less than "
          + laggingFor.toSeconds() + " s ago; not waited for until then");
      return;
    }
    asked.increment();
    try {
      JsonObject answer = replication.askToHold(sha256s, wait).toCompletionStage().toCompletableFuture()
          .get(wait.toMillis() + 1000, TimeUnit.MILLISECONDS);
      remember(answer.getString("node"), sha256s, System.nanoTime());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
        lagging(buildId, sha256s, live);
      } else {
        unreplicated(buildId, sha256s, (e.getCause() instanceof ReplyException reply
            && reply.failureType() == ReplyFailure.NO_HANDLERS ? "no standby of " + live + " serves "
            + ArtifactReplication.HOLD + " yet" : e.getCause().getMessage()));
      }
    } catch (TimeoutException e) {
      lagging(buildId, sha256s, live);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      unreplicated(buildId, sha256s, "interrupted while waiting");
    }
  }

  private static boolean holds(Map<String, Long> held, Set<String> sha256s, long now) {
    if (held == null) {
      return false;
    }
    long trusted = TRUSTED_FOR.toNanos();
    for (String sha256 : sha256s) {
      Long at = held.get(sha256);
      if (at == null || now - at > trusted) {
        return false;
      }
    }
    return true;
  }

  private void remember(String node, Set<String> sha256s, long now) {
    if (node == null) {
      return;
    }
    Map<String, Long> held = confirmed.computeIfAbsent(node, n -> new ConcurrentHashMap<>());
    if (held.size() > REMEMBERED) {
      held.clear(); // bounded: the next submissions ask again
    }
    for (String sha256 : sha256s) {
      held.put(sha256, now);
    }
  }

  private void lagging(String buildId, Set<String> sha256s, Set<String> live) {
    askAgainAt = System.nanoTime() + laggingFor.toNanos();
    unreplicated(buildId, sha256s, "no standby of " + live + " confirmed within " + wait.toSeconds()
        + " s; submissions are not waited for during the next " + laggingFor.toSeconds() + " s");
  }

  private void unreplicated(String buildId, Set<String> sha256s, String why) {
    unreplicated.increment();
    long now = System.nanoTime();
    if (now - loggedAt < TimeUnit.SECONDS.toNanos(1)) {
      return;
    }
    loggedAt = now;
    LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: build " + buildId + " is accepted while only this"
        + " coordinator holds its inputs " + sha256s + " (" + why + "): if this coordinator dies before a standby"
        + " copies them, the build fails there naming the missing sha256; see the standby's log and"
        + " bootfarm_submits_unreplicated_total (docs/operator-guide.md)");
  }
}
