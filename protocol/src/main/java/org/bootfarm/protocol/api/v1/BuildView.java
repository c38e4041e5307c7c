package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * A build as {@code GET /api/v1/builds/{id}} and the event-bus {@code get} answer it.
 *
 * @param placement why the build went (or cannot go) where it did
 * @param attempts  runs lost or failed transiently and put back in the queue
 * @param submittedAt ISO-8601 instants, null when not reached yet
 * @param log the sha256 of the finished run's whole log in the artifact store
 *     ({@code GET /api/v1/artifacts/{log}}), null until a worker reported it
 * @param pinned    kept with its artifacts by retention whatever its age ({@code PUT /api/v1/builds/{id}/pin})
 * @param unsigned  what the build installs without a signature check, allowed by the operator
 *     ({@code --allow-unsigned}); absent from the JSON when every package is checked
 * @param submittedBy the client that submitted it: its name in the coordinator's tokens file, or a farm certificate's
 *     name, as {@code submittedWith} says; {@code "(unknown)"} for builds recorded before submitters were
 * @param submittedWith the kind of credential its submitter proved itself with, since names of both kinds may be the
 *     same word (ADR 0065): {@code token} (a client of the tokens file), {@code cert} (a farm member's certificate: a
 *     clustered client) or {@code farm} (the farm's own nightly runs); null when no submitter was recorded
 * @param definitionDigest the digest of the definition this build builds, pinned when it was submitted (the
 *     definition's files are kept in the artifact store under it); null for builds recorded before pinning
 * @param rebuildOf the build whose record this build rebuilds (its definition, components and archived
 *     packages, never the upstream repositories); null for every other build
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildView(
    String id, String repo, String target, Map<String, String> components, Priority priority, BuildState state,
    String worker, int attempts, String placement, List<ArtifactRecord> artifacts, String error, String errorKind,
    String submittedAt, String startedAt, String finishedAt, String log, boolean pinned,
    PackageCacheUse packageCache,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unsigned,
    String submittedBy, String submittedWith, String definitionDigest, String rebuildOf) {
  /** What {@link #submittedBy} says of a build recorded before submitters were. */
  public static final String UNKNOWN_SUBMITTER = "(unknown)";

  /** A view that does not say with which kind of credential its submitter submitted. */
  public BuildView(String id, String repo, String target, Map<String, String> components, Priority priority,
      BuildState state, String worker, int attempts, String placement, List<ArtifactRecord> artifacts, String error,
      String errorKind, String submittedAt, String startedAt, String finishedAt, String log, boolean pinned,
      PackageCacheUse packageCache, List<String> unsigned, String submittedBy, String definitionDigest,
      String rebuildOf) {
    this(id, repo, target, components, priority, state, worker, attempts, placement, artifacts, error, errorKind,
        submittedAt, startedAt, finishedAt, log, pinned, packageCache, unsigned, submittedBy, null, definitionDigest,
        rebuildOf);
  }

  /** A view of a build without a pinned definition. */
  public BuildView(String id, String repo, String target, Map<String, String> components, Priority priority,
      BuildState state, String worker, int attempts, String placement, List<ArtifactRecord> artifacts, String error,
      String errorKind, String submittedAt, String startedAt, String finishedAt, String log, boolean pinned,
      PackageCacheUse packageCache, List<String> unsigned, String submittedBy) {
    this(id, repo, target, components, priority, state, worker, attempts, placement, artifacts, error, errorKind,
        submittedAt, startedAt, finishedAt, log, pinned, packageCache, unsigned, submittedBy, null, null, null);
  }

  /** A view of a build whose submitter is not known. */
  public BuildView(String id, String repo, String target, Map<String, String> components, Priority priority,
      BuildState state, String worker, int attempts, String placement, List<ArtifactRecord> artifacts, String error,
      String errorKind, String submittedAt, String startedAt, String finishedAt, String log, boolean pinned,
      PackageCacheUse packageCache, List<String> unsigned) {
    this(id, repo, target, components, priority, state, worker, attempts, placement, artifacts, error, errorKind,
        submittedAt, startedAt, finishedAt, log, pinned, packageCache, unsigned, null);
  }

  /** A view of a build that checks every signature. */
  public BuildView(String id, String repo, String target, Map<String, String> components, Priority priority,
      BuildState state, String worker, int attempts, String placement, List<ArtifactRecord> artifacts, String error,
      String errorKind, String submittedAt, String startedAt, String finishedAt, String log, boolean pinned,
      PackageCacheUse packageCache) {
    this(id, repo, target, components, priority, state, worker, attempts, placement, artifacts, error, errorKind,
        submittedAt, startedAt, finishedAt, log, pinned, packageCache, List.of());
  }

  /** A view without cache figures. */
  public BuildView(String id, String repo, String target, Map<String, String> components, Priority priority,
      BuildState state, String worker, int attempts, String placement, List<ArtifactRecord> artifacts, String error,
      String errorKind, String submittedAt, String startedAt, String finishedAt, String log, boolean pinned) {
    this(id, repo, target, components, priority, state, worker, attempts, placement, artifacts, error, errorKind,
        submittedAt, startedAt, finishedAt, log, pinned, null);
  }

  public BuildView {
    components = components == null ? Map.of() : Map.copyOf(components);
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    unsigned = unsigned == null ? List.of() : List.copyOf(unsigned);
    submittedBy = submittedBy == null ? UNKNOWN_SUBMITTER : submittedBy;
  }
}
