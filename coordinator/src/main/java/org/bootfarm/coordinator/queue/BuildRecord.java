package org.bootfarm.coordinator.queue;

import org.bootfarm.protocol.api.v1.BuildState;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * One build as the coordinator's queue and history keep it: what was asked for, where it is, who
 * holds it and what came out. Fields that do not apply yet are null ({@code worker} before a claim,
 * {@code finishedAt} while it runs, and so on). Instants are kept to the millisecond.
 *
 * @param id a {@link BuildIdSequence} id: ids sort in submission order
 * @param components component name → sha256 of the content in the artifact store (sorted by name)
 * @param options the submission's options as JSON text ({@code "{}"} when there are none)
 * @param worker the worker that runs or ran the build (cleared when it is re-queued)
 * @param attempts how many runs were lost or failed transiently and put back in the queue
 * @param placement why the build went (or could not go) where it did, e.g. "warm cache on w2"
 * @param log sha256 of the whole log of the run that ended the build, in the artifact store (null when
 *     none was reported: still queued or running, cancelled, or failed by the coordinator)
 * @param error the last error (a re-queued build keeps the reason it was re-queued)
 * @param notBefore a re-queued build is not handed out again before this instant (backoff)
 * @param leaseOwner the worker that holds the build now; only it may renew or finish it
 * @param leaseExpiry when {@code leaseOwner}'s hold ends unless renewed
 * @param pinned kept by retention whatever its age
 * @param packageCache how the run that ended the build used its worker's package cache (null: unknown)
 * @param unsigned what the build installs without a signature check, as the coordinator decided at submission
 *     (its definition's unsigned sources, allowed by the operator's {@code --allow-unsigned}); empty when every
 *     package is checked
 * @param submittedBy the client that submitted the build with the kind of its credential ({@code token:ci},
 *     {@code cert:build-7}, {@code farm:nightly}: {@code Caller.credential}); a name without a kind was recorded
 *     before kinds were, by a client of the tokens file; null for builds recorded before submitters were
 * @param definitionDigest the digest of the definition the build builds, pinned at submission: its files are
 *     in the artifact store under that digest ({@code DefinitionArchive}); null for builds recorded before
 * @param rebuildOf the build whose record this one rebuilds; null for every other build
 * @param pinnedBuildinfo for a rebuild, the sha256 of the buildinfo whose lock, components and
 *     SOURCE_DATE_EPOCH it builds from (the rebuilt build's {@code buildinfo.json} artifact); null otherwise
 */
public record BuildRecord(
    String id,
    String repo,
    String target,
    SortedMap<String, String> components,
    BuildPriority priority,
    String options,
    BuildState state,
    String worker,
    int attempts,
    String placement,
    List<ArtifactRecord> artifacts,
    String log,
    String error,
    ErrorKind errorKind,
    Instant submittedAt,
    Instant startedAt,
    Instant finishedAt,
    Instant notBefore,
    String leaseOwner,
    Instant leaseExpiry,
    boolean pinned,
    PackageCacheUse packageCache,
    List<String> unsigned,
    String submittedBy,
    String definitionDigest,
    String rebuildOf,
    String pinnedBuildinfo) {

  /** A record of a build that pins no definition (recorded before definitions were pinned). */
  public BuildRecord(String id, String repo, String target, SortedMap<String, String> components,
      BuildPriority priority, String options, BuildState state, String worker, int attempts, String placement,
      List<ArtifactRecord> artifacts, String log, String error, ErrorKind errorKind, Instant submittedAt,
      Instant startedAt, Instant finishedAt, Instant notBefore, String leaseOwner, Instant leaseExpiry,
      boolean pinned, PackageCacheUse packageCache, List<String> unsigned, String submittedBy) {
    this(id, repo, target, components, priority, options, state, worker, attempts, placement, artifacts, log, error,
        errorKind, submittedAt, startedAt, finishedAt, notBefore, leaseOwner, leaseExpiry, pinned, packageCache,
        unsigned, submittedBy, null, null, null);
  }

  /** A record whose submitter is not known. */
  public BuildRecord(String id, String repo, String target, SortedMap<String, String> components,
      BuildPriority priority, String options, BuildState state, String worker, int attempts, String placement,
      List<ArtifactRecord> artifacts, String log, String error, ErrorKind errorKind, Instant submittedAt,
      Instant startedAt, Instant finishedAt, Instant notBefore, String leaseOwner, Instant leaseExpiry,
      boolean pinned, PackageCacheUse packageCache, List<String> unsigned) {
    this(id, repo, target, components, priority, options, state, worker, attempts, placement, artifacts, log, error,
        errorKind, submittedAt, startedAt, finishedAt, notBefore, leaseOwner, leaseExpiry, pinned, packageCache,
        unsigned, null);
  }

  /** A record of a build that checks every signature. */
  public BuildRecord(String id, String repo, String target, SortedMap<String, String> components,
      BuildPriority priority, String options, BuildState state, String worker, int attempts, String placement,
      List<ArtifactRecord> artifacts, String log, String error, ErrorKind errorKind, Instant submittedAt,
      Instant startedAt, Instant finishedAt, Instant notBefore, String leaseOwner, Instant leaseExpiry,
      boolean pinned, PackageCacheUse packageCache) {
    this(id, repo, target, components, priority, options, state, worker, attempts, placement, artifacts, log, error,
        errorKind, submittedAt, startedAt, finishedAt, notBefore, leaseOwner, leaseExpiry, pinned, packageCache,
        List.of());
  }

  /** A record without cache figures. */
  public BuildRecord(String id, String repo, String target, SortedMap<String, String> components,
      BuildPriority priority, String options, BuildState state, String worker, int attempts, String placement,
      List<ArtifactRecord> artifacts, String log, String error, ErrorKind errorKind, Instant submittedAt,
      Instant startedAt, Instant finishedAt, Instant notBefore, String leaseOwner, Instant leaseExpiry,
      boolean pinned) {
    this(id, repo, target, components, priority, options, state, worker, attempts, placement, artifacts, log, error,
        errorKind, submittedAt, startedAt, finishedAt, notBefore, leaseOwner, leaseExpiry, pinned, null);
  }

  public BuildRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(repo, "repo");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(submittedAt, "submittedAt");
    components = Collections.unmodifiableSortedMap(new TreeMap<>(components));
    artifacts = List.copyOf(artifacts);
    unsigned = unsigned == null ? List.of() : List.copyOf(unsigned);
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts cannot be negative: " + attempts);
    }
    submittedAt = millis(submittedAt);
    startedAt = millis(startedAt);
    finishedAt = millis(finishedAt);
    notBefore = millis(notBefore);
    leaseExpiry = millis(leaseExpiry);
  }

  /** A new submission, QUEUED, as the store receives it from the submission API. */
  public static BuildRecord queued(String id, String repo, String target, Map<String, String> components,
      BuildPriority priority, String options, Instant submittedAt) {
    return queued(id, repo, target, components, priority, options, submittedAt, List.of());
  }

  /** A new submission, QUEUED, that installs what {@code unsigned} names without a signature check. */
  public static BuildRecord queued(String id, String repo, String target, Map<String, String> components,
      BuildPriority priority, String options, Instant submittedAt, List<String> unsigned) {
    return queued(id, repo, target, components, priority, options, submittedAt, unsigned, null);
  }

  /** A new submission, QUEUED, by the client named {@code submittedBy}. */
  public static BuildRecord queued(String id, String repo, String target, Map<String, String> components,
      BuildPriority priority, String options, Instant submittedAt, List<String> unsigned, String submittedBy) {
    return new BuildRecord(id, repo, target, new TreeMap<>(components), priority, options, BuildState.QUEUED,
        null, 0, null, List.of(), null, null, null, submittedAt, null, null, null, null, null, false, null, unsigned,
        submittedBy);
  }

  /** The same queued record pinned to the definition stored under {@code digest}. */
  public BuildRecord withDefinition(String digest) {
    return new BuildRecord(id, repo, target, components, priority, options, state, worker, attempts, placement,
        artifacts, log, error, errorKind, submittedAt, startedAt, finishedAt, notBefore, leaseOwner, leaseExpiry,
        pinned, packageCache, unsigned, submittedBy, digest, rebuildOf, pinnedBuildinfo);
  }

  /** The same queued record as a rebuild of build {@code original} from its buildinfo {@code buildinfoSha256}. */
  public BuildRecord asRebuildOf(String original, String buildinfoSha256) {
    return new BuildRecord(id, repo, target, components, priority, options, state, worker, attempts, placement,
        artifacts, log, error, errorKind, submittedAt, startedAt, finishedAt, notBefore, leaseOwner, leaseExpiry,
        pinned, packageCache, unsigned, submittedBy, definitionDigest, original, buildinfoSha256);
  }

  private static Instant millis(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS);
  }
}
