package org.bootfarm.coordinator;

import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * Which targets this farm builds from a repo: those its definition lists (the appliance when it has
 * {@code packages.appliance}), and the appliance only from the farm's one appliance repo ({@code --appliance-repo}:
 * the appliance is never customised). The one statement of that rule: the targets a repo shows ({@link
 * BuildCoordinator#targets}) and the check of a submission ({@link SubmissionCheck}) both ask it.
 */
final class ApplianceRule {
  private final String applianceRepo;

  /** @param applianceRepo the one repo this farm builds the appliance from */
  ApplianceRule(String applianceRepo) {
    this.applianceRepo = applianceRepo;
  }

  /** The repo this farm builds its appliance from. */
  String applianceRepo() {
    return applianceRepo;
  }

  /** The targets this farm builds from {@code repo}, whose definition is {@code spec}, in {@link RepoSpec#TARGETS}. */
  List<String> targets(String repo, RepoSpec spec) {
    return RepoSpec.TARGETS.stream().filter(target -> refusal(repo, spec, target).isEmpty()).toList();
  }

  /**
   * Why this farm does not build {@code target} from {@code repo} (definition {@code spec}), one sentence saying
   * what to do, prefixed with the submission's field; empty when it does.
   */
  Optional<String> refusal(String repo, RepoSpec spec, String target) {
    if (BuildCoordinator.APPLIANCE.equals(target) && !applianceRepo.equals(repo)) {
      return Optional.of("target: this farm builds the appliance only from its appliance repo '" + applianceRepo
          + "', not from '" + repo + "' (the appliance is never customised; the coordinator's"
          + " --appliance-repo, config key appliance-repo, names that repo); build the bootstrap of '"
          + repo + "' or the appliance of '" + applianceRepo + "'");
    }
    if (!spec.supportsTarget(target)) {
      return Optional.of("target: '" + repo + "' cannot build " + target
          + (BuildCoordinator.APPLIANCE.equals(target) ? ": its repo-spec.json has no packages.appliance" : ""));
    }
    return Optional.empty();
  }
}
