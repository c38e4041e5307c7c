package org.bootfarm.coordinator.replication;

import java.lang.System.Logger.Level;
import com.hazelcast.map.IMap;
import org.bootfarm.cluster.identity.SignedRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildOutcome;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.protocol.api.v1.BuildState;

/**
 * The active coordinator's build store: every change goes to its own durable store first, then,
 * as the record it became, into the cluster's {@link #MAP} (key build id, value {@link
 * BuildRecordJson}), which standbys follow ({@link BuildReplica}). A QUEUED or RUNNING record stays
 * in the map; a final one expires after {@code historyTtl}, so the map holds the live state and
 * recent history, and each coordinator's own store the whole history. Reads go to the durable store.
 *
 * <p>The map write comes after the durable commit, so a standby can miss the last change of an
 * active coordinator killed between the two; that change was never answered to anyone but the
 * active one's own caller (a submitter not told its id resubmits; a worker's report or renewal is
 * redone by the lease machinery after the takeover).
 */
public final class ReplicatedBuildStore implements BuildStore {
  /** The Hazelcast map of live builds; its name is versioned like the wire. */
  public static final String MAP = "bootfarm.v1.builds";
  private static final System.Logger LOG = System.getLogger(ReplicatedBuildStore.class.getName());

  private final BuildStore durable;
  private final IMap<String, String> map;
  private final SignedRecords records;
  private final Duration historyTtl;

  public ReplicatedBuildStore(BuildStore durable, IMap<String, String> map, Duration historyTtl) {
    this(durable, map, historyTtl, SignedRecords.UNSECURED);
  }

  /** With every record sealed by this coordinator's certificate before it goes into the map (ADR 0031). */
  public ReplicatedBuildStore(BuildStore durable, IMap<String, String> map, Duration historyTtl,
      SignedRecords records) {
    this.records = records;
    this.durable = durable;
    this.map = map;
    this.historyTtl = historyTtl;
  }

  /** Writes a record into the map as it is now (a final one with the history TTL). */
  void replicate(BuildRecord build) {
    try {
      if (build.state() == BuildState.QUEUED || build.state() == BuildState.RUNNING) {
        map.set(build.id(), records.seal(MAP, build.id(), BuildRecordJson.write(build)), 0, TimeUnit.SECONDS); // 0: never expires
      } else {
        map.set(build.id(), records.seal(MAP, build.id(), BuildRecordJson.write(build)), historyTtl.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    } catch (RuntimeException e) {
      // the durable store has it; standbys catch up from the next change of this build or at takeover
      LOG.log(Level.WARNING, "bootfarm: build " + build.id() + " is recorded here but could not be written to the"
          + " cluster map " + MAP + " that standby coordinators follow: " + e, e);
    }
  }

  private Optional<BuildRecord> replicated(Optional<BuildRecord> changed) {
    changed.ifPresent(this::replicate);
    return changed;
  }

  @Override
  public String nextId() {
    return durable.nextId();
  }

  @Override
  public void insert(BuildRecord build) {
    durable.insert(build);
    replicate(build);
  }

  @Override
  public Optional<BuildRecord> get(String id) {
    return durable.get(id);
  }

  @Override
  public List<BuildRecord> list(BuildFilter filter) {
    return durable.list(filter);
  }

  @Override
  public List<BuildRecord> nextQueued(Instant now, int limit) {
    return durable.nextQueued(now, limit);
  }

  @Override
  public List<BuildRecord> nextQueuedAfter(Instant now, BuildRecord after, int limit) {
    return durable.nextQueuedAfter(now, after, limit);
  }

  @Override
  public Optional<BuildRecord> claim(String id, String worker, Instant leaseUntil, String placement) {
    return replicated(durable.claim(id, worker, leaseUntil, placement));
  }

  @Override
  public Optional<BuildRecord> notePlacement(String id, String reason) {
    Optional<BuildRecord> before = durable.get(id);
    Optional<BuildRecord> after = durable.notePlacement(id, reason);
    // placement retries every assign tick; only a new reason is news for the standbys
    if (after.isPresent() && !(before.isPresent() && Objects.equals(reason, before.get().placement()))) {
      replicate(after.get());
    }
    return after;
  }

  @Override
  public Optional<BuildRecord> pinAsRebuild(String id, String original, String buildinfoSha256,
      String definitionDigest) {
    return replicated(durable.pinAsRebuild(id, original, buildinfoSha256, definitionDigest));
  }

  @Override
  public Optional<BuildRecord> renewLease(String id, String worker, Instant until) {
    return replicated(durable.renewLease(id, worker, until));
  }

  @Override
  public Optional<BuildRecord> finish(String id, String worker, BuildOutcome outcome) {
    return replicated(durable.finish(id, worker, outcome));
  }

  @Override
  public Optional<BuildRecord> finish(String id, String worker, int attempt, BuildOutcome outcome) {
    return replicated(durable.finish(id, worker, attempt, outcome));
  }

  @Override
  public Optional<BuildRecord> requeue(String id, String worker, String reason, Instant notBefore) {
    return replicated(durable.requeue(id, worker, reason, notBefore));
  }

  @Override
  public Optional<BuildRecord> fail(String id, String error, ErrorKind kind) {
    return replicated(durable.fail(id, error, kind));
  }

  @Override
  public Optional<BuildRecord> cancel(String id) {
    return replicated(durable.cancel(id));
  }

  @Override
  public List<BuildRecord> expiredLeases(Instant now) {
    return durable.expiredLeases(now);
  }

  @Override
  public List<BuildRecord> leasesHeldBy(String worker) {
    return durable.leasesHeldBy(worker);
  }

  @Override
  public List<BuildRecord> extendLeasesUntil(Instant until) {
    List<BuildRecord> before = durable.extendLeasesUntil(until);
    for (BuildRecord build : before) {
      durable.get(build.id()).ifPresent(this::replicate);
    }
    return before;
  }

  @Override
  public Optional<BuildRecord> pin(String id) {
    return replicated(durable.pin(id));
  }

  @Override
  public Optional<BuildRecord> unpin(String id) {
    return replicated(durable.unpin(id));
  }

  @Override
  public List<BuildRecord> beyondRetention(int keepNewest) {
    return durable.beyondRetention(keepNewest);
  }

  @Override
  public java.util.Set<String> retainedHashes(int keepNewest) {
    return durable.retainedHashes(keepNewest);
  }

  /** Not replicated: every coordinator derives a build's inputs from its replicated buildinfo artifact. */
  @Override
  public void recordInputs(String id, java.util.Collection<String> sha256s) {
    durable.recordInputs(id, sha256s);
  }

  @Override
  public java.util.Set<String> recordedInputs() {
    return durable.recordedInputs();
  }

  @Override
  public List<BuildRecord> withoutInputs() {
    return durable.withoutInputs();
  }

  /** Closes the durable store; the map belongs to the cluster and stays. */
  @Override
  public void close() {
    durable.close();
  }
}
