package org.bootfarm.coordinator;

import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildRecord;

/**
 * Whether the artifact store still holds every component a queued build was accepted with: checked at submission
 * ({@link SubmissionCheck}) and again before a build is placed, since a worker would otherwise take the build,
 * fail to download the component and spend one of its runs. A component can go between the two when the coordinator
 * that held it died before a standby copied it (ADR 0042) or when an operator deleted it from the store.
 */
final class HeldComponents {
  private final ArtifactStore artifacts;

  HeldComponents(ArtifactStore artifacts) {
    this.artifacts = artifacts;
  }

  /**
   * Why {@code build} can never run here: the first of its components the store lacks, with what to do; or empty.
   * The store is asked about each component once per {@code asked} (what one placing pass asked already: the builds
   * of a queue share their components, and each question is a file system lookup).
   */
  Optional<String> missing(BuildRecord build, Map<String, Boolean> asked) {
    for (Map.Entry<String, String> component : build.components().entrySet()) {
      if (!asked.computeIfAbsent(component.getValue(), artifacts::exists)) {
        return Optional.of("build " + build.id() + " needs component " + component.getKey() + " (sha256 "
            + component.getValue() + "), which this coordinator's artifact store no longer holds: submit the build"
            + " again with the component's file (bootfarm submit --component NAME=FILE uploads what the farm lacks)");
      }
    }
    return Optional.empty();
  }
}
