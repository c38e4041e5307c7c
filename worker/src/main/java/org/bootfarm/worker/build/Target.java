package org.bootfarm.worker.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.stage.ApplianceAssembleStage;
import org.bootfarm.worker.stage.AssembleStage;
import org.bootfarm.worker.stage.ImageAssembly;

/**
 * The images the engine builds from a repo definition, each with the components it boots with and the
 * stage that assembles it: the container VMs' {@code bootstrap} and the endpoint VM's {@code appliance}.
 */
public enum Target {
  BOOTSTRAP("bootstrap"),
  APPLIANCE("appliance");

  private final String id;
  private final List<String> components;

  Target(String id) {
    this.id = id;
    this.components = RepoSpec.COMPONENTS.get(id);
  }

  /** The name in requests, records and stage names ({@code staging-<id>}). */
  public String id() {
    return id;
  }

  /** The components a build of this target needs, no more and no fewer. */
  public List<String> components() {
    return components;
  }

  /** The assembly stage of this target for {@code definition}. */
  ImageAssembly assembly(RepoDefinition definition) {
    return this == APPLIANCE ? new ApplianceAssembleStage() : new AssembleStage(definition.name());
  }

  /**
   * The target a request names.
   *
   * @throws BuildFailure INPUT for an unknown target, naming the known ones
   */
  static Target of(String id) throws BuildFailure {
    for (Target target : values()) {
      if (target.id.equals(id)) {
        return target;
      }
    }
    throw new BuildFailure(BuildFailure.Kind.INPUT, "unknown target '" + id + "': the engine builds "
        + List.of(BOOTSTRAP.id, APPLIANCE.id) + " (--target bootstrap or --target appliance)");
  }

  /**
   * Checks that the definition can build this target and that the request carries exactly this
   * target's components, each a readable file.
   *
   * @throws BuildFailure DEFINITION for an appliance of a definition without {@code packages.appliance};
   *     INPUT for a missing, unreadable or unknown component, naming it
   */
  void checkInputs(RepoDefinition definition, Map<String, Path> given) throws BuildFailure {
    if (!definition.spec().supportsTarget(id)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, definition.directory().resolve("repo-spec.json")
          + ": packages.appliance is missing: " + definition.name() + " cannot build an appliance; add the"
          + " appliance's package list (it needs systemd) or build the bootstrap target");
    }
    for (String name : components) {
      Path file = given.get(name);
      if (file == null) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "missing component '" + name
            + "': " + article() + " " + id + " needs " + components + "; pass --component " + name + "=FILE");
      }
      if (!Files.isRegularFile(file)) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "component '" + name + "' file " + file
            + " does not exist or is not a regular file");
      }
    }
    for (String name : given.keySet()) {
      if (!components.contains(name)) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "unknown component '" + name
            + "': " + article() + " " + id + " takes " + components);
      }
    }
  }

  private String article() {
    return this == APPLIANCE ? "an" : "a";
  }
}
