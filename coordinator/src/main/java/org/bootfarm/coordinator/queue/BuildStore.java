package org.bootfarm.coordinator.queue;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The coordinator's durable queue and build history. Every transition is a compare-and-set: it
 * happens only when the build is in the state (and, for a worker, under the lease) the method names,
 * and returns the build as it is afterwards; otherwise nothing changes and the result is empty. Safe
 * for many threads of one coordinator; one store file belongs to one coordinator at a time.
 */
public interface BuildStore extends AutoCloseable {

  /** A fresh build id, greater than every id this store has issued or holds. */
  String nextId();

  /**
   * Records a new build; it is durable (survives kill -9 of this process, and power loss) when this
   * returns, so the submitter may be told its id only afterwards.
   *
   * @throws IllegalArgumentException when the id is not one of {@link #nextId()}'s or already exists
   */
  void insert(BuildRecord build);

  /**
   * Records several new builds as {@link #insert} records one, each durable when this returns; returns, per build in
   * order, null when it was recorded or why it was not (a duplicate id fails alone). A store may commit them
   * together (docs/adr/0056): a batch of submissions then costs one commit, not one per build.
   */
  default List<RuntimeException> insertEach(List<BuildRecord> builds) {
    List<RuntimeException> outcomes = new java.util.ArrayList<>(builds.size());
    for (BuildRecord build : builds) {
      try {
        insert(build);
        outcomes.add(null);
      } catch (RuntimeException e) {
        outcomes.add(e);
      }
    }
    return outcomes;
  }

  Optional<BuildRecord> get(String id);

  /** Builds matching the filter, newest submission first. */
  List<BuildRecord> list(BuildFilter filter);

  /** The QUEUED build to place next at {@code now}: {@link #nextQueued(Instant, int)} with a limit of one. */
  default Optional<BuildRecord> nextQueued(Instant now) {
    return nextQueued(now, 1).stream().findFirst();
  }

  /**
   * Up to {@code limit} QUEUED builds whose not-before has passed at {@code now}, in placement order:
   * by priority (INTERACTIVE first), then by submission. Placement looks past the head of the queue
   * when no live worker can run it.
   */
  List<BuildRecord> nextQueued(Instant now, int limit);

  /**
   * The next page of {@link #nextQueued(Instant, int)}: up to {@code limit} of the same builds that come after
   * {@code after} (a build a page returned) in placement order, so placement reads past any number of builds it
   * cannot place without reading the whole queue each time. This default reads the whole queue; a store
   * answers it from an index.
   */
  default List<BuildRecord> nextQueuedAfter(Instant now, BuildRecord after, int limit) {
    return nextQueued(now, Integer.MAX_VALUE).stream().filter(b -> comesAfter(b, after)).limit(limit).toList();
  }

  /** Whether {@code build} comes after {@code after} in placement order: by priority, then by id (submission). */
  private static boolean comesAfter(BuildRecord build, BuildRecord after) {
    return build.priority().rank() > after.priority().rank()
        || (build.priority() == after.priority() && build.id().compareTo(after.id()) > 0);
  }

  /**
   * A count that grows with every write of this store object that may change what a placing pass decides: a build
   * recorded, claimed, re-queued, finished, failed, cancelled or pinned as a rebuild (not a placement note, not a
   * lease renewal). It grows after the write committed, so a pass that read the count before it read the queue
   * and finds it unchanged later has seen every such write; other processes' writes are not counted.
   */
  long queueChanges();

  /** When the first QUEUED build held back by a backoff ({@link #requeue}'s notBefore) after {@code now} may go. */
  Optional<Instant> nextBackoffEnd(Instant now);

  /**
   * Up to {@code limit} QUEUED builds that no placing pass has noted or claimed yet (no placement reason: new
   * submissions and rebuilds), whose not-before has passed at {@code now}, in placement order after {@code after}
   * (null: from the head of the queue). A placing pass with no live worker advises only these (ADR 0051). This
   * default filters the whole queue; a store answers it from an index.
   */
  default List<BuildRecord> unnotedQueued(Instant now, BuildRecord after, int limit) {
    return nextQueued(now, Integer.MAX_VALUE).stream().filter(b -> b.placement() == null)
        .filter(b -> after == null || comesAfter(b, after)).limit(limit).toList();
  }

  /**
   * QUEUED → RUNNING on {@code worker}, which holds the lease until {@code leaseUntil}; records why
   * it was placed there. Refused unless the build is QUEUED (a RUNNING build cannot be claimed twice).
   * Not-before is {@link #nextQueued}'s business: placement claims what it returned.
   */
  Optional<BuildRecord> claim(String id, String worker, Instant leaseUntil, String placement);

  /** Records why a QUEUED build is still waiting (e.g. "no live worker runs yum"). Refused otherwise. */
  Optional<BuildRecord> notePlacement(String id, String reason);

  /**
   * {@link #notePlacement} for each build of {@code reasons} (id → reason), in one transaction where the store has
   * them, so a placing pass over a long queue costs one commit, not one per build. Returns how many were noted.
   */
  default int notePlacements(Map<String, String> reasons) {
    int noted = 0;
    for (Map.Entry<String, String> reason : reasons.entrySet()) {
      noted += notePlacement(reason.getKey(), reason.getValue()).isPresent() ? 1 : 0;
    }
    return noted;
  }

  /** Extends the lease to {@code until}; only the holder, and only before its lease has expired. */
  Optional<BuildRecord> renewLease(String id, String worker, Instant until);

  /**
   * Moves the lease of RUNNING build {@code id}, held by {@code worker}, to {@code until}, expired or not, when it
   * ends before that: the reconciler's grace for a lease that ran out while the coordinator heard from no worker
   * (ADR 0043). Refused (empty) for any other holder or state.
   */
  Optional<BuildRecord> extendLease(String id, String worker, Instant until);

  /**
   * RUNNING → SUCCEEDED or FAILED with the outcome's artifacts; only by the holder of an unexpired
   * lease, so a worker that lost its lease (expired, re-queued, cancelled) cannot publish.
   */
  Optional<BuildRecord> finish(String id, String worker, BuildOutcome outcome);

  /**
   * {@link #finish(String, String, BuildOutcome)} for a worker's report of one run: refused also unless
   * the build's {@link BuildRecord#attempts()} is still {@code attempt}, the count it was claimed
   * under. A worker keeps its id across restarts, so a build whose lease ran out (a frozen worker) can
   * be placed on the same worker id again; the old run's late report names the right owner but an
   * older attempt, and must not publish.
   */
  Optional<BuildRecord> finish(String id, String worker, int attempt, BuildOutcome outcome);

  /**
   * RUNNING → QUEUED after {@code worker}'s run was lost (its lease expired) or failed transiently:
   * the lease is dropped, attempts go up by one, {@code reason} becomes the error and the build is not
   * handed out before {@code notBefore}. Refused unless {@code worker} is still the lease owner (expired
   * or not), so a reconciler acting on an old {@link #expiredLeases} answer cannot take a build from a
   * worker that claimed it since.
   */
  Optional<BuildRecord> requeue(String id, String worker, String reason, Instant notBefore);

  /**
   * QUEUED or RUNNING → FAILED by the coordinator itself (attempts exhausted, a build no worker will
   * ever run); like {@link #cancel} it overrides any lease, which it drops.
   */
  Optional<BuildRecord> fail(String id, String error, ErrorKind kind);

  /**
   * A QUEUED build becomes a rebuild of build {@code original} from its buildinfo {@code buildinfoSha256}
   * ({@link BuildRecord#asRebuildOf}): it will install exactly that buildinfo's lock, and build the definition
   * {@code definitionDigest} the original built (null keeps the build's own: an original recorded before
   * definitions were pinned). Refused unless the build is QUEUED and not a rebuild of another record already
   * (pinning the same record again answers the build as it is).
   */
  Optional<BuildRecord> pinAsRebuild(String id, String original, String buildinfoSha256, String definitionDigest);

  /**
   * QUEUED or RUNNING → CANCELLED; drops any lease, so a worker still running it cannot publish. The
   * result still names the worker, which the caller tells to stop.
   */
  Optional<BuildRecord> cancel(String id);

  /** RUNNING builds whose lease expired at or before {@code now}, oldest expiry first: the reconciler's work. */
  List<BuildRecord> expiredLeases(Instant now);

  /**
   * RUNNING builds whose lease {@code worker} holds, expired or not, in submission order: what to
   * re-queue when membership says the worker left.
   */
  List<BuildRecord> leasesHeldBy(String worker);

  /**
   * Every RUNNING build whose lease ends before {@code until} (expired or not) is held until
   * {@code until} instead, by the same worker: a restarted coordinator's grace, so that workers that
   * kept running while it was down can renew before the reconciler takes their builds. Returns those
   * builds as they were before, with the lease ends that were moved.
   */
  List<BuildRecord> extendLeasesUntil(Instant until);

  /** Marks a build as kept by retention whatever its age; empty when there is no such build. */
  Optional<BuildRecord> pin(String id);

  /** Undoes {@link #pin}; empty when there is no such build. */
  Optional<BuildRecord> unpin(String id);

  /**
   * SUCCEEDED builds that retention may collect: per repo and target, all but the {@code keepNewest}
   * most recently finished, and never a pinned one. Oldest first. Artifacts are shared by hash (a
   * reproducible rebuild has the same ones), so a collector deletes only hashes no kept build names.
   */
  List<BuildRecord> beyondRetention(int keepNewest);

  /**
   * Every sha256 retention keeps: the artifacts and components of the builds it keeps (per repo and
   * target the {@code keepNewest} most recently finished SUCCEEDED ones, and every pinned build), and
   * the components of every QUEUED or RUNNING build, which a worker has yet to fetch; and the logs of
   * the kept builds and of the {@code keepNewest} most recent FAILED or CANCELLED builds per repo and
   * target, so a failure can still be read after the next hourly collection; and the pinned definition
   * ({@link BuildRecord#definitionDigest}) of every kept, QUEUED or RUNNING build (docs/adr/0034).
   */
  Set<String> retainedHashes(int keepNewest);

  /**
   * Records the package files SUCCEEDED build {@code id} installed (its buildinfo's lock), by sha256, so that
   * {@link #retainedHashes} keeps them while it keeps the build; replaces what was recorded for it.
   */
  void recordInputs(String id, Collection<String> sha256s);

  /**
   * The SUCCEEDED builds that published a buildinfo and whose inputs are not recorded yet ({@link
   * #recordInputs}): what a coordinator indexes before it collects.
   */
  List<BuildRecord> withoutInputs();

  /** Every sha256 some build's recorded inputs name ({@link #recordInputs}): how a collection counts inputs. */
  Set<String> recordedInputs();

  /** Releases the file; the store cannot be used afterwards. */
  @Override
  void close();
}
