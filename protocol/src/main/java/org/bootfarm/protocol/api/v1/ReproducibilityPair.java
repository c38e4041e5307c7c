package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * Two builds of the same repo, target and components on two different workers, and the verdict on
 * them once both ended: one row of a {@link NightlyReport}, and what {@code verify} answers
 * ({@link Addresses#VERIFY}, {@link Addresses#PAIR_GET}). The left build is placed as usual (for
 * {@code verify}: the build being verified); the right one on the best other capable worker.
 *
 * @param id           the pair's id; its diff report is {@code GET /verdicts/{id}} (HTML) and
 *                     {@code /api/v1/pairs/{id}} (JSON)
 * @param run          the nightly run it belongs to, null for a {@code verify}
 * @param left         the left build's id, null when no build was submitted (see the verdict's error)
 * @param right        the right build's id, null likewise
 * @param leftWorker   the worker that built the left side, once known
 * @param rightWorker  the worker that built the right side, once known
 * @param leftSeconds  how long the left build ran, once it ended
 * @param rightSeconds how long the right build ran, once it ended
 * @param outcome      the verdict's outcome, null until judged
 * @param createdAt    when the pair was recorded
 * @param judgedAt     when it was judged, null before
 * @param verdict      the whole verdict (artifact and stage hashes on each side, the differing files),
 *                     null until judged
 * @param leftCache    how the left build used its worker's package cache, once known
 * @param rightCache   the same for the right build
 * @param unsigned     what both builds install without a signature check, allowed by the coordinator's operator
 *                     ({@code --allow-unsigned}): the report marks such a pair UNSIGNED; absent from the JSON
 *                     when every package is checked (also for a repo allowed unsigned that is signed throughout)
 * @param rebuiltFrom  the sha256 of side A's buildinfo that side B rebuilt: side B installed exactly that lock from
 *                     the farm's archive, so the pair compares two builds of the same inputs; null before side B
 *                     was placed, and for pairs recorded before side B rebuilt side A's record
 * @param drift        for a nightly pair whose side A succeeded, what changed in its resolved inputs since the
 *                     previous nightly run of that repo and target (apart from the verdict); null otherwise
 * @param attestation  for a REPRODUCIBLE pair, the coordinator's signed reproducibility attestation (ADR 0044,
 *                     docs/reproducibility-attestation.md): {@code reproducibility.intoto.jsonl}, downloadable as
 *                     any artifact ({@code GET /api/v1/artifacts/{sha256}}); null for any other verdict
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "run", "repo", "target", "left", "right", "leftWorker", "rightWorker", "leftSeconds",
    "rightSeconds", "outcome", "createdAt", "judgedAt", "verdict", "leftCache", "rightCache", "unsigned",
    "rebuiltFrom", "drift", "attestation"})
public record ReproducibilityPair(
    String id, String run, String repo, String target, String left, String right, String leftWorker,
    String rightWorker, Double leftSeconds, Double rightSeconds, Verdict.Outcome outcome, String createdAt,
    String judgedAt, Verdict verdict, PackageCacheUse leftCache, PackageCacheUse rightCache,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unsigned, String rebuiltFrom, InputDrift drift,
    ArtifactRecord attestation) {

  public ReproducibilityPair {
    unsigned = unsigned == null ? List.of() : List.copyOf(unsigned);
  }

  /** A pair without a reproducibility attestation. */
  public ReproducibilityPair(String id, String run, String repo, String target, String left, String right,
      String leftWorker, String rightWorker, Double leftSeconds, Double rightSeconds, Verdict.Outcome outcome,
      String createdAt, String judgedAt, Verdict verdict, PackageCacheUse leftCache, PackageCacheUse rightCache,
      List<String> unsigned, String rebuiltFrom, InputDrift drift) {
    this(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds, rightSeconds, outcome, createdAt,
        judgedAt, verdict, leftCache, rightCache, unsigned, rebuiltFrom, drift, null);
  }

  /** A pair whose side B rebuilt nothing yet and whose drift is not known. */
  public ReproducibilityPair(String id, String run, String repo, String target, String left, String right,
      String leftWorker, String rightWorker, Double leftSeconds, Double rightSeconds, Verdict.Outcome outcome,
      String createdAt, String judgedAt, Verdict verdict, PackageCacheUse leftCache, PackageCacheUse rightCache,
      List<String> unsigned) {
    this(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds, rightSeconds, outcome, createdAt,
        judgedAt, verdict, leftCache, rightCache, unsigned, null, null);
  }

  /** A pair whose builds check every signature. */
  public ReproducibilityPair(String id, String run, String repo, String target, String left, String right,
      String leftWorker, String rightWorker, Double leftSeconds, Double rightSeconds, Verdict.Outcome outcome,
      String createdAt, String judgedAt, Verdict verdict, PackageCacheUse leftCache, PackageCacheUse rightCache) {
    this(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds, rightSeconds, outcome, createdAt,
        judgedAt, verdict, leftCache, rightCache, List.of());
  }

  /** A pair without cache figures. */
  public ReproducibilityPair(String id, String run, String repo, String target, String left, String right,
      String leftWorker, String rightWorker, Double leftSeconds, Double rightSeconds, Verdict.Outcome outcome,
      String createdAt, String judgedAt, Verdict verdict) {
    this(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds, rightSeconds, outcome, createdAt,
        judgedAt, verdict, null, null);
  }

  /** The same pair, judged at {@code instant} with these sides' workers and run times. */
  public ReproducibilityPair judged(Verdict value, String instant, String leftWorkerId, String rightWorkerId,
      Double leftRun, Double rightRun) {
    return judged(value, instant, leftWorkerId, rightWorkerId, leftRun, rightRun, null, null);
  }

  /** {@link #judged(Verdict, String, String, String, Double, Double)} with each side's package-cache use. */
  public ReproducibilityPair judged(Verdict value, String instant, String leftWorkerId, String rightWorkerId,
      Double leftRun, Double rightRun, PackageCacheUse leftCacheUse, PackageCacheUse rightCacheUse) {
    return new ReproducibilityPair(id, run, repo, target, left, right, leftWorkerId, rightWorkerId, leftRun,
        rightRun, value.outcome(), createdAt, instant, value, leftCacheUse, rightCacheUse, unsigned, rebuiltFrom,
        drift, null);
  }

  /** The same pair, marked as installing {@code sources} without a signature check. */
  public ReproducibilityPair withUnsigned(List<String> sources) {
    return new ReproducibilityPair(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds,
        rightSeconds, outcome, createdAt, judgedAt, verdict, leftCache, rightCache, sources, rebuiltFrom, drift,
        attestation);
  }

  /** The same pair, its side B a rebuild of side A's buildinfo {@code buildinfoSha256}. */
  public ReproducibilityPair withRebuiltFrom(String buildinfoSha256) {
    return new ReproducibilityPair(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds,
        rightSeconds, outcome, createdAt, judgedAt, verdict, leftCache, rightCache, unsigned, buildinfoSha256, drift,
        attestation);
  }

  /** The same pair with {@code value} as its inputs' drift. */
  public ReproducibilityPair withDrift(InputDrift value) {
    return new ReproducibilityPair(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds,
        rightSeconds, outcome, createdAt, judgedAt, verdict, leftCache, rightCache, unsigned, rebuiltFrom, value,
        attestation);
  }

  /** The same pair with {@code value} as its signed reproducibility attestation. */
  public ReproducibilityPair withAttestation(ArtifactRecord value) {
    return new ReproducibilityPair(id, run, repo, target, left, right, leftWorker, rightWorker, leftSeconds,
        rightSeconds, outcome, createdAt, judgedAt, verdict, leftCache, rightCache, unsigned, rebuiltFrom, drift, value);
  }

  /** Whether its builds install packages without a signature check (allowed by the operator). */
  public boolean hasUnsignedBuilds() {
    return !unsigned.isEmpty();
  }

  /** Whether the pair has its verdict. */
  public boolean hasVerdict() {
    return verdict != null;
  }
}
