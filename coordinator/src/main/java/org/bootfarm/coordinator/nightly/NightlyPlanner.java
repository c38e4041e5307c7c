package org.bootfarm.coordinator.nightly;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.queue.BuildFilter;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * What a nightly run pairs: every repo of the catalog and target its spec supports that some live
 * worker can run and this farm builds, with a note for each left out and why; and which components a
 * nightly build of a repo and target uses. {@link NightlyRuns} submits and judges what this plans.
 */
final class NightlyPlanner {
  /**
   * The targets workers build today (a worker refuses any other); a repo's other supported targets are
   * named in the run's notes instead of getting a pair that could only fail.
   */
  static final List<String> WORKER_TARGETS = List.of("bootstrap", "appliance");
  /** How many recent SUCCEEDED builds are searched for the components a nightly build reuses. */
  static final int COMPONENT_SEARCH = 200;

  private final BuildCoordinator coordinator;
  private final BuildStore builds;
  private final RepoCatalog catalog;
  private final Map<String, String> components;

  /** @param components the operator's nightly components, name to sha256 (may be empty) */
  NightlyPlanner(BuildCoordinator coordinator, BuildStore builds, RepoCatalog catalog, Map<String, String> components) {
    this.coordinator = coordinator;
    this.builds = builds;
    this.catalog = catalog;
    this.components = Map.copyOf(components);
  }

  /** A repo and target to pair, and the live workers that can run it. */
  record Planned(String repo, String target, String packageManager, List<String> capableWorkers) {}

  /** Every repo and target some live worker can run; what is left out goes into {@code notes}. */
  List<Planned> plan(List<String> notes) {
    Collection<WorkerInfo> workers = coordinator.workers();
    List<Planned> planned = new ArrayList<>();
    for (RepoCatalog.Entry entry : catalog.entries()) {
      if (entry.definition().isEmpty()) {
        notes.add(entry.name() + ": not built, its definition is invalid (" + entry.problems().size()
            + " problem(s); bootfarm repos or bootfarm check shows them)");
        continue;
      }
      RepoSpec spec = entry.definition().map(RepoDefinition::spec).orElseThrow();
      List<String> capable = workers.stream()
          .filter(w -> w.packageManagers().contains(spec.packageManager()) && BuildCoordinator.ARCH.equals(w.arch()))
          .map(WorkerInfo::id).sorted().toList();
      if (capable.isEmpty()) {
        notes.add(entry.name() + ": not built, no live worker runs " + spec.packageManager() + " on "
            + BuildCoordinator.ARCH);
        continue;
      }
      List<String> farmTargets = coordinator.targets(entry.name(), spec);
      for (String target : RepoSpec.TARGETS) {
        if (!spec.supportsTarget(target)) {
          continue;
        }
        if (!farmTargets.contains(target)) {
          notes.add(entry.name() + ": target " + target + " not built, this farm builds the appliance only from '"
              + coordinator.applianceRepo() + "' (--appliance-repo)");
        } else if (!WORKER_TARGETS.contains(target)) {
          notes.add(entry.name() + ": target " + target + " not built, workers build only " + WORKER_TARGETS
              + " today");
        } else if (BuildCoordinator.APPLIANCE.equals(target) && componentsFor(entry.name(), target).isEmpty()) {
          notes.add(entry.name() + ": target appliance not built, no appliance components known (give the"
              + " coordinator --nightly-component for each of " + RepoSpec.COMPONENTS.get(target)
              + ", or build one appliance first)");
        } else {
          planned.add(new Planned(entry.name(), target, spec.packageManager(), capable));
        }
      }
    }
    return planned;
  }

  /**
   * The configured nightly components (those the target takes, when all of them are configured), else
   * those of the newest SUCCEEDED build of the repo and target, else of any repo; empty if none.
   */
  Map<String, String> componentsFor(String repo, String target) {
    if (!components.isEmpty() && components.keySet().containsAll(RepoSpec.COMPONENTS.get(target))) {
      Map<String, String> forTarget = new TreeMap<>(components);
      forTarget.keySet().retainAll(RepoSpec.COMPONENTS.get(target));
      return forTarget;
    }
    if (!components.isEmpty() && !BuildCoordinator.APPLIANCE.equals(target)) {
      return components;
    }
    for (BuildRecord build : builds.list(new BuildFilter(repo, BuildState.SUCCEEDED, COMPONENT_SEARCH))) {
      if (build.target().equals(target) && !build.components().isEmpty()) {
        return build.components();
      }
    }
    for (BuildRecord build : builds.list(new BuildFilter(null, BuildState.SUCCEEDED, COMPONENT_SEARCH))) {
      if (build.target().equals(target) && !build.components().isEmpty()) {
        return build.components();
      }
    }
    return Map.of();
  }
}
