package org.bootfarm.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bootfarm.coordinator.assignment.NoCacheOption;
import org.bootfarm.coordinator.nightly.PairSide;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * Whether a submission may be queued: its repo is a valid definition of this farm that builds the asked
 * target ({@link ApplianceRule}: the appliance only from the appliance repo), it names exactly the components that target boots
 * with and each is in the artifact store, and its options hold none of the farm's own keys ({@link
 * #RESERVED_OPTIONS}: only the coordinator's nightly and verify code sets them, never a client). Decides
 * nothing about the build's state; {@link BuildCoordinator} queues what passes.
 */
final class SubmissionCheck {
  /**
   * Option keys the farm sets on its own builds and reads back as instructions (which side of a reproducibility
   * pair a build is, ADR 0038); a submission carrying one is refused on every API (ADR 0040).
   */
  static final Set<String> RESERVED_OPTIONS = Set.of(PairSide.OPTION);

  private final RepoCatalog repos;
  private final ApplianceRule appliance;

  SubmissionCheck(RepoCatalog repos, ApplianceRule appliance) {
    this.repos = repos;
    this.appliance = appliance;
  }

  /**
   * What is wrong with {@code request}, one sentence each saying what to do; empty when it may be queued. Its
   * components are asked of the store through {@code touches} (once per admission, ages reset).
   */
  List<String> problems(SubmitRequest request, ArtifactTouches touches) {
    List<String> problems = new ArrayList<>(request.problems());
    if (!problems.isEmpty()) {
      return problems;
    }
    request.options().keySet().stream().filter(RESERVED_OPTIONS::contains).sorted().forEach(key -> problems.add(
        "options." + key + ": a reserved key: the farm sets it on its own nightly and verify builds, no client"
            + " may; remove it from the options (to rebuild and compare a build use bootfarm verify ID)"));
    NoCacheOption.problem(request.options()).ifPresent(problems::add);
    RepoCatalog.Entry entry = repos.find(request.repo()).orElse(null);
    if (entry == null) {
      problems.add("repo: '" + request.repo() + "' is not a repo definition of this farm; known: "
          + repos.entries().stream().map(RepoCatalog.Entry::name).collect(Collectors.joining(", ")));
    } else if (entry.definition().isEmpty()) {
      problems.add("repo: '" + request.repo() + "' is an invalid definition: "
          + entry.problems().stream().map(Object::toString).collect(Collectors.joining("; ")));
    } else {
      appliance.refusal(request.repo(), entry.definition().get().spec(), request.targetOrDefault())
          .ifPresent(problems::add);
    }
    List<String> required = RepoSpec.COMPONENTS.getOrDefault(request.targetOrDefault(), List.of());
    for (String name : required) {
      if (!request.components().containsKey(name)) {
        problems.add("components." + name + ": required, not given (" + article(request.targetOrDefault())
            + " boots with " + String.join(", ", required) + "); upload it (bootfarm submit --component " + name
            + "=FILE, or PUT /api/v1/artifacts/SHA256) and name its sha256");
      }
    }
    request.components().forEach((name, sha256) -> {
      if (!required.contains(name)) {
        problems.add("components." + name + ": not a component of " + article(request.targetOrDefault())
            + ", which takes " + String.join(", ", required) + "; leave it out");
      } else if (!touchComponent(touches, sha256)) {
        problems.add("components." + name + ": " + sha256
            + " is not in the artifact store; upload it first (bootfarm submit --component " + name
            + "=FILE uploads it, or PUT /api/v1/artifacts/" + sha256 + ")");
      }
    });
    return problems;
  }

  private static String article(String target) {
    return (target.startsWith("a") ? "an " : "a ") + target;
  }

  /**
   * Whether a named component is stored; restarts its age (once per admission, {@link ArtifactTouches}) so that a
   * retention pass running now (whose live set does not yet hold this submission) cannot collect it under the new build.
   */
  private static boolean touchComponent(ArtifactTouches touches, String sha256) {
    try {
      return touches.touch(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read component " + sha256 + " in the artifact store", e);
    }
  }
}
