package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * A build the coordinator hands to one worker, sent to {@link Addresses#workerInbox}: everything the
 * worker needs and nothing it must already have — the definition's files travel with it (they are
 * small text) and the worker checks them against their digest; components are fetched from the
 * artifact store by sha256.
 *
 * @param definitionFiles  path relative to the definition directory → base64 of the file's bytes
 * @param definitionDigest {@code RepoDefinitionLoader.digest} of those files
 * @param artifactsUrl     base URL of the coordinator's HTTP API, e.g. {@code http://10.0.0.1:8080}
 * @param attempt          the build's attempts count when it was claimed for this run; the worker echoes it
 *     in its {@link BuildReport}, so a report of an older run of the same build on the same worker
 *     (after its lease ran out and the build was placed there again) is told apart and refused
 * @param variation      the environment to build under (one side of a reproducibility pair), or null to
 *     build as the worker builds everything; absent from the JSON when null
 * @param fromScratch    {@code true} for both sides of a reproducibility pair (nightly, verify): every stage
 *     runs, and no stage is taken from or put into the worker's stage cache; null (absent from the JSON, so
 *     workers that predate the field still read every other assignment) means the worker may reuse stages
 * @param allowUnsigned  {@code true} when the coordinator's operator allowed this repo to install packages
 *     without a signature check ({@code --allow-unsigned REPO}): the worker loads the definition so, and its
 *     buildinfo lists what went unchecked; null (absent from the JSON) means every signature is checked
 * @param inputs         for a rebuild from a record (a {@code rebuild}, side B of a reproducibility pair): exactly
 *     the packages to install, each fetched from the artifact store by its sha256 and checked against it; the
 *     package manager reads only a local repository the worker makes of them, never the definition's upstream;
 *     null (absent from the JSON) means the packages are resolved from the definition's repositories
 * @param sourceDateEpoch the SOURCE_DATE_EPOCH to build with (a rebuild takes the original's); null: the
 *     engine's default, the newest package's build time
 * @param rebuildOf      the build whose record this one rebuilds, for the worker's log; null for others
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonTypeInfo(use = JsonTypeInfo.Id.NONE) // read and written as itself; see WorkerInboxMessage
public record Assignment(
    String buildId, String repo, String target, Map<String, String> components,
    Map<String, String> definitionFiles, String definitionDigest, String artifactsUrl, int attempt,
    BuildVariation variation, Boolean fromScratch, Boolean allowUnsigned, List<LockedPackage> inputs,
    Long sourceDateEpoch, String rebuildOf) implements WorkerInboxMessage {

  public Assignment {
    components = Map.copyOf(components);
    definitionFiles = Map.copyOf(definitionFiles);
    inputs = inputs == null ? null : List.copyOf(inputs);
  }

  /** An assignment whose packages are resolved from the definition's repositories. */
  public Assignment(
      String buildId, String repo, String target, Map<String, String> components,
      Map<String, String> definitionFiles, String definitionDigest, String artifactsUrl, int attempt,
      BuildVariation variation, Boolean fromScratch, Boolean allowUnsigned) {
    this(buildId, repo, target, components, definitionFiles, definitionDigest, artifactsUrl, attempt, variation,
        fromScratch, allowUnsigned, null, null, null);
  }

  /** The same assignment built from exactly {@code pinned} at {@code epoch}, as a rebuild of {@code original}. */
  public Assignment pinnedTo(List<LockedPackage> pinned, Long epoch, String original) {
    return new Assignment(buildId, repo, target, components, definitionFiles, definitionDigest, artifactsUrl,
        attempt, variation, fromScratch, allowUnsigned, pinned, epoch, original);
  }

  /** An assignment whose signatures are all checked. */
  public Assignment(
      String buildId, String repo, String target, Map<String, String> components,
      Map<String, String> definitionFiles, String definitionDigest, String artifactsUrl, int attempt,
      BuildVariation variation, Boolean fromScratch) {
    this(buildId, repo, target, components, definitionFiles, definitionDigest, artifactsUrl, attempt, variation,
        fromScratch, null);
  }

  /** An assignment without a variation. */
  public Assignment(
      String buildId, String repo, String target, Map<String, String> components,
      Map<String, String> definitionFiles, String definitionDigest, String artifactsUrl, int attempt) {
    this(buildId, repo, target, components, definitionFiles, definitionDigest, artifactsUrl, attempt, null, null);
  }

  /** An assignment that may reuse cached stages, built under {@code variation} (null: none). */
  public Assignment(
      String buildId, String repo, String target, Map<String, String> components,
      Map<String, String> definitionFiles, String definitionDigest, String artifactsUrl, int attempt,
      BuildVariation variation) {
    this(buildId, repo, target, components, definitionFiles, definitionDigest, artifactsUrl, attempt, variation,
        null);
  }

  /**
   * What makes this assignment unfit to act on, each problem naming its field; empty when every field has
   * its shape. A worker checks this before it touches its disk: ids, the repo and component names become
   * file names there, so none may be a path ({@link WireNames}).
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (!WireNames.is(WireNames.ID, buildId)) {
      problems.add("buildId: '" + buildId + "' is not 1-64 letters, digits, '-' or '_'");
    }
    String repoProblem = WireNames.repoProblem(repo);
    if (repoProblem != null) {
      problems.add(repoProblem);
    }
    if (!RepoSpec.TARGETS.contains(target)) {
      problems.add("target: '" + target + "' is unknown; one of " + RepoSpec.TARGETS);
    }
    WireNames.addComponentProblems(components, problems);
    definitionFiles.keySet().stream().filter(path -> !WireNames.isRelativeFilePath(path)).sorted()
        .forEach(path -> problems.add("definitionFiles: '" + path + "' is not a relative path inside the definition"));
    if (!WireNames.is(WireNames.SHA256, definitionDigest)) {
      problems.add("definitionDigest: '" + definitionDigest + "' is not a lower-case hex sha256");
    }
    if (!isHttpUrl(artifactsUrl)) {
      problems.add("artifactsUrl: '" + artifactsUrl + "' is not an http or https URL with a host");
    }
    if (attempt < 0) {
      problems.add("attempt: " + attempt + " is negative");
    }
    if (inputs != null) {
      for (int i = 0; i < inputs.size(); i++) {
        LockedPackage input = inputs.get(i);
        if (input == null || !WireNames.is(WireNames.SHA256, input.sha256())) {
          problems.add("inputs[" + i + "]: " + (input == null ? "null" : "sha256 '" + input.sha256()
              + "' is not a lower-case hex sha256"));
        }
      }
    }
    if (sourceDateEpoch != null && sourceDateEpoch < 0) {
      problems.add("sourceDateEpoch: " + sourceDateEpoch + " is negative");
    }
    if (rebuildOf != null && !WireNames.is(WireNames.ID, rebuildOf)) {
      problems.add("rebuildOf: '" + rebuildOf + "' is not 1-64 letters, digits, '-' or '_'");
    }
    return problems;
  }

  private static boolean isHttpUrl(String url) {
    if (url == null) {
      return false;
    }
    try {
      URI uri = new URI(url);
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
          && uri.getRawUserInfo() == null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** Whether the operator allowed this repo to install packages without a signature check. */
  public boolean allowsUnsigned() {
    return Boolean.TRUE.equals(allowUnsigned);
  }

  /** Whether this is a rebuild from archived inputs: exactly {@link #inputs} are installed, from the farm's store. */
  @com.fasterxml.jackson.annotation.JsonIgnore // a question about the fields, not a field of the wire
  public boolean isPinned() {
    return inputs != null;
  }

  /** Whether every stage must run: no stage cache read or written (both sides of a reproducibility pair). */
  public boolean mustBuildFromScratch() {
    return Boolean.TRUE.equals(fromScratch);
  }
}
