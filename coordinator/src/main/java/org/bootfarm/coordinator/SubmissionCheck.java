package org.bootfarm.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.api.v1.SubmitRequest;

/**
 * Whether a submission may be queued: its repo is a valid definition of this farm that builds the asked
 * target (the appliance only from the appliance repo), and every component it names is in the artifact
 * store. Decides nothing about the build's state; {@link BuildCoordinator} queues what passes.
 */
final class SubmissionCheck {
  private final RepoCatalog repos;
  private final ArtifactStore artifacts;
  private final String applianceRepo;

  SubmissionCheck(RepoCatalog repos, ArtifactStore artifacts, String applianceRepo) {
    this.repos = repos;
    this.artifacts = artifacts;
    this.applianceRepo = applianceRepo;
  }

  /** What is wrong with {@code request}, one sentence each saying what to do; empty when it may be queued. */
  List<String> problems(SubmitRequest request) {
    List<String> problems = new ArrayList<>(request.problems());
    if (!problems.isEmpty()) {
      return problems;
    }
    RepoCatalog.Entry entry = repos.find(request.repo()).orElse(null);
    if (entry == null) {
      problems.add("repo: '" + request.repo() + "' is not a repo definition of this farm; known: "
          + repos.entries().stream().map(RepoCatalog.Entry::name).collect(Collectors.joining(", ")));
    } else if (entry.definition().isEmpty()) {
      problems.add("repo: '" + request.repo() + "' is an invalid definition: "
          + entry.problems().stream().map(Object::toString).collect(Collectors.joining("; ")));
    } else if (BuildCoordinator.APPLIANCE.equals(request.targetOrDefault()) && !applianceRepo.equals(request.repo())) {
      problems.add("target: this farm builds the appliance only from its appliance repo '" + applianceRepo
          + "', not from '" + request.repo() + "' (the appliance is never customised; the coordinator's"
          + " --appliance-repo, config key appliance-repo, names that repo); build the bootstrap of '"
          + request.repo() + "' or the appliance of '" + applianceRepo + "'");
    } else if (!entry.definition().get().spec().supportsTarget(request.targetOrDefault())) {
      problems.add("target: '" + request.repo() + "' cannot build " + request.targetOrDefault()
          + (BuildCoordinator.APPLIANCE.equals(request.targetOrDefault())
              ? ": its repo-spec.json has no packages.appliance" : ""));
    }
    request.components().forEach((name, sha256) -> {
      if (!touchComponent(sha256)) {
        problems.add("components." + name + ": " + sha256
            + " is not in the artifact store; upload it first (PUT /api/v1/artifacts/" + sha256 + ")");
      }
    });
    return problems;
  }

  /**
   * Whether a named component is stored; restarts its age so that a retention pass running now
   * (whose live set does not yet hold this submission) cannot collect it under the new build.
   */
  private boolean touchComponent(String sha256) {
    try {
      return artifacts.touch(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read component " + sha256 + " in the artifact store", e);
    }
  }
}
