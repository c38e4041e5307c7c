package org.bootfarm.coordinator.retention;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.coordinator.cas.ArtifactNotFoundException;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildState;

/**
 * Pins and unpins whole builds: the build is marked pinned in the build store (so retention keeps
 * it and its components, and its view says so) and each of its artifacts is pinned in the artifact
 * store with the reason {@code "build <id>: <reason>"} (so no collection or delete removes it).
 */
public final class BuildPins {
  /** Longest reason a client may give; the artifact store takes 1000 characters with the prefix. */
  public static final int MAX_REASON_CHARS = 900;

  private final BuildStore builds;
  private final ArtifactStore artifacts;

  public BuildPins(BuildStore builds, ArtifactStore artifacts) {
    this.builds = Objects.requireNonNull(builds, "builds");
    this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
  }

  /**
   * Pins a finished build and its artifacts; pinning again replaces the reason.
   *
   * @throws ApiException NOT_FOUND for no such build, BAD_REQUEST for a missing or unprintable
   *     reason, CONFLICT for a build not finished yet or one whose artifacts were already collected
   *     (then nothing is pinned)
   */
  public BuildRecord pin(String id, String reason) throws ApiException {
    if (reason == null || reason.isBlank()) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "pin of build " + id + " refused",
          List.of("reason: required, who or what keeps this build (e.g. \"release 1.4\")"));
    }
    if (reason.length() > MAX_REASON_CHARS || reason.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "pin of build " + id + " refused",
          List.of("reason: must be one line of at most " + MAX_REASON_CHARS + " printable characters"));
    }
    BuildRecord build = find(id);
    if (build.state() == BuildState.QUEUED || build.state() == BuildState.RUNNING) {
      throw new ApiException(ApiError.Code.CONFLICT, "build " + id + " is " + build.state()
          + "; pin it once it has finished (its artifacts do not exist yet)");
    }
    List<String> missing = new ArrayList<>();
    build.artifacts().forEach(a -> {
      if (!artifacts.exists(a.sha256())) {
        missing.add(a.name() + " (" + a.sha256() + ")");
      }
    });
    if (!missing.isEmpty()) {
      throw new ApiException(ApiError.Code.CONFLICT, "build " + id
          + " cannot be pinned: retention already collected some of its artifacts; rebuild it", missing);
    }
    try {
      for (var artifact : build.artifacts()) {
        artifacts.pin(artifact.sha256(), prefix(id) + reason);
      }
    } catch (ArtifactNotFoundException e) {
      throw new ApiException(ApiError.Code.CONFLICT, "build " + id
          + " cannot be pinned: an artifact was collected while pinning; rebuild it", List.of(e.getMessage()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot pin the artifacts of build " + id, e);
    }
    return builds.pin(id).orElseThrow(() -> notFound(id));
  }

  /**
   * Unpins a build, and each of its artifacts whose pin this build set (an artifact pinned since for
   * another build or by an operator keeps that pin). Unpinning a build that is not pinned changes nothing.
   *
   * @throws ApiException NOT_FOUND for no such build
   */
  public BuildRecord unpin(String id) throws ApiException {
    BuildRecord build = builds.unpin(id).orElseThrow(() -> notFound(id));
    try {
      for (var artifact : build.artifacts()) {
        if (artifacts.pinReason(artifact.sha256()).filter(r -> r.startsWith(prefix(id))).isPresent()) {
          artifacts.unpin(artifact.sha256());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpin the artifacts of build " + id, e);
    }
    return build;
  }

  private BuildRecord find(String id) throws ApiException {
    return builds.get(id).orElseThrow(() -> notFound(id));
  }

  private static String prefix(String id) {
    return "build " + id + ": ";
  }

  private static ApiException notFound(String id) {
    return new ApiException(ApiError.Code.NOT_FOUND, "no build " + id);
  }
}
