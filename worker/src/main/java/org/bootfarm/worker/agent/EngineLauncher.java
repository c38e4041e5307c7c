package org.bootfarm.worker.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildVariation;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.build.BuildEngine;
import org.bootfarm.worker.build.BuildRequest;
import org.bootfarm.worker.build.VariedEngine;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.pkg.PinnedInputs;

/**
 * Runs one assignment on the slot thread that calls it and says how it ended: checks the definition
 * against its digest, fetches the components, chooses the engine — the {@link BuildEngine} in this
 * process, or for an assignment carrying a non-standard {@link BuildVariation} (one side of a
 * reproducibility pair) the {@link VariedEngine} in an engine process of its own under that variation,
 * its work and build directories deeper by the variation's path prefix (ADR 0021) — archives a successful
 * build's inputs (uploading only what the store lacks) and uploads its outputs, and last the build's whole log, whatever the outcome, so the report can name it.
 *
 * <p>A run the coordinator cancelled ({@link RunningBuild#cancel}) is interrupted wherever it waits
 * (the external tool it runs is stopped with its whole process tree): nothing is uploaded but the log,
 * its work directory is removed and it is reported CANCELLED.
 */
final class EngineLauncher {
  private final String workerId;
  private final WorkerAgent.Settings settings;
  private final PackageDrivers drivers;
  private final ClusterLink link;
  private final RunTransfers transfers;
  private final WorkerLog log;

  EngineLauncher(String workerId, WorkerAgent.Settings settings, PackageDrivers drivers, ClusterLink link,
      RunTransfers transfers, WorkerLog log) {
    this.workerId = workerId;
    this.settings = settings;
    this.drivers = drivers;
    this.link = link;
    this.transfers = transfers;
    this.log = log;
  }

  /** Runs {@code assignment} as {@code self} in a work directory of its own, removed when it ends. */
  BuildReport launch(Assignment assignment, RunningBuild self) throws IOException, InterruptedException {
    String id = assignment.buildId();
    Path work = settings.cacheDir().resolve("assignments").resolve(pathPrefix(assignment))
        .resolve(id + "-" + assignment.attempt());
    long deadline = System.nanoTime() + settings.reportPatience().toNanos();
    try (BuildLogFile buildLog = new BuildLogFile(id, work.resolve("build.log"), e -> link.publishEvent(id, e))) {
      BuildReport report;
      try {
        report = self.start() ? build(assignment, work, buildLog, deadline) : null;
      } catch (InterruptedException e) {
        if (!self.end()) {
          throw e; // the worker is closing
        }
        report = null;
      } catch (IOException | RuntimeException e) {
        buildLog.line("build", "worker " + workerId + " failed: " + e);
        report = failed(assignment, workerId, "worker error: " + e, "INTERNAL", false);
      }
      if (self.end()) {
        String stopped = "cancelled by the coordinator, stopped after "
            + String.format(Locale.ROOT, "%.1f", self.secondsSinceCancel()) + " s";
        buildLog.line("build", stopped);
        log.info("build " + id + " run " + (assignment.attempt() + 1) + ": " + stopped);
        report = new BuildReport(id, workerId, assignment.attempt(), BuildState.CANCELLED, List.of(),
            report == null ? List.of() : report.stages(), "cancelled by the coordinator",
            BuildFailure.Kind.CANCELLED.name(), false, null, report == null ? null : report.packageCache());
      }
      return withLog(report, transfers.uploadLog(assignment, buildLog, deadline));
    } finally {
      self.end();
      FileTrees.deleteQuietly(work);
    }
  }

  /**
   * Fetches and checks the inputs (for a rebuild from a record, its archived packages too: ADR 0037), runs the
   * chosen engine with {@code buildLog}, archives the inputs of a success and uploads its outputs.
   */
  private BuildReport build(Assignment assignment, Path work, BuildLog buildLog, long deadline)
      throws IOException, InterruptedException {
    Path definition = work.resolve("definition").resolve(assignment.repo());
    DefinitionFiles.write(assignment.definitionFiles(), definition);
    String digest = RepoDefinitionLoader.digest(definition);
    if (!digest.equals(assignment.definitionDigest())) {
      String error = "the definition of " + assignment.repo() + " arrived with digest " + digest
          + ", not the announced " + assignment.definitionDigest();
      buildLog.line("build", error);
      return failed(assignment, workerId, error, "INPUT", false);
    }
    Map<String, Path> components;
    Optional<PinnedInputs> pinned;
    try {
      components = transfers.fetchComponents(assignment, work.resolve("components"), deadline);
      pinned = pinnedInputs(assignment, work.resolve("inputs"), buildLog, deadline);
    } catch (BuildFailure refused) {
      buildLog.line("build", "failed (" + refused.kind() + "): " + refused.getMessage());
      return failed(assignment, workerId, refused.getMessage(), refused.kind().name(), refused.kind().deterministic());
    }
    Path out = work.resolve("out");
    BuildVariation variation = assignment.variation();
    BuildResult result;
    // both sides of a reproducibility pair (and every varied build, and a build submitted with --no-cache) rebuild
    // every stage: no stage cache nor action cache read or filled; a rebuild from a record never uses the latter
    boolean reuseStages = !assignment.mustBuildFromScratch() && (variation == null || variation.isStandard());
    // the coordinator's operator decides which repos may go unsigned; the assignment carries that decision
    List<String> allowUnsigned = assignment.allowsUnsigned() ? List.of(assignment.repo()) : List.of();
    if (variation == null || variation.isStandard()) {
      if (!reuseStages) {
        buildLog.line("build", "from scratch: the stage cache is neither used nor filled");
      }
      result = new BuildEngine(drivers).run(pinnedTo(new BuildRequest(definition, assignment.target(), components,
          out, settings.cacheDir(), settings.keysDir(), false, Optional.empty(), OptionalLong.empty(), false)
          .withReuseStages(reuseStages).withAllowUnsigned(allowUnsigned)
          .withActionCache(reuseStages && settings.actionCache(), assignment.buildId()), assignment, pinned), buildLog);
    } else {
      buildLog.line("build", "variation: " + variation.describe());
      buildLog.line("build", "from scratch: the stage cache is neither used nor filled");
      Path builds = settings.cacheDir().resolve("builds").resolve(pathPrefix(assignment));
      try {
        result = VariedEngine.run(pinnedTo(new BuildRequest(definition, assignment.target(), components, out,
            settings.cacheDir(), settings.keysDir(), false, Optional.empty(), OptionalLong.empty(), false, builds)
            .withAllowUnsigned(allowUnsigned), assignment, pinned),
            drivers.runnablePackageManagers(), variation, buildLog);
      } catch (BuildFailure refused) {
        buildLog.line("build", "failed (" + refused.kind() + "): " + refused.getMessage());
        return failed(assignment, workerId, refused.getMessage(), refused.kind().name(),
            refused.kind().deterministic());
      }
    }
    if (!result.succeeded()) {
      BuildFailure.Kind kind = BuildFailure.Kind.valueOf(result.errorKind());
      buildLog.line("build", "failed (" + kind + "): " + result.error());
      // with its cache use: the coordinator keeps it for successes only, the worker's metrics count it either way
      return new BuildReport(assignment.buildId(), workerId, assignment.attempt(), BuildState.FAILED, List.of(),
          result.stages(), result.error(), kind.name(), kind.deterministic(), null, result.packageCache());
    }
    // the inputs go up before the outputs and the report: a build the farm calls SUCCEEDED can be rebuilt
    RunTransfers.Archived archived = transfers.archiveInputs(assignment, result.inputFiles(), deadline);
    buildLog.line("build", archived.describe());
    log.info("build " + assignment.buildId() + ": " + archived.describe());
    List<ArtifactRecord> uploaded = transfers.uploadOutputs(assignment, result.artifacts(), out, deadline);
    return new BuildReport(assignment.buildId(), workerId, assignment.attempt(), BuildState.SUCCEEDED, uploaded,
        result.stages(), null, null, false, null, result.packageCache());
  }

  /**
   * For a pinned assignment (a rebuild from a record), its inputs fetched from the farm's store into {@code dir}
   * and checked; empty for every other assignment.
   *
   * @throws BuildFailure INPUT naming a package the store lacks or whose archived bytes do not match its sha256
   */
  private Optional<PinnedInputs> pinnedInputs(Assignment assignment, Path dir, BuildLog buildLog, long deadline)
      throws IOException, InterruptedException, BuildFailure {
    if (!assignment.isPinned()) {
      return Optional.empty();
    }
    String suffix = "." + packageFamily(assignment);
    transfers.fetchInputs(assignment, dir, suffix, deadline);
    buildLog.line("build", "rebuild of build " + (assignment.rebuildOf() == null ? "?" : assignment.rebuildOf())
        + " from its record: " + assignment.inputs().size() + " archived packages, no upstream repository read");
    return Optional.of(new PinnedInputs(dir, assignment.inputs()));
  }

  /** {@code request} pinned to {@code pinned} at the assignment's SOURCE_DATE_EPOCH, or as it is. */
  private static BuildRequest pinnedTo(BuildRequest request, Assignment assignment, Optional<PinnedInputs> pinned) {
    if (pinned.isEmpty()) {
      return request;
    }
    long epoch = assignment.sourceDateEpoch() != null ? assignment.sourceDateEpoch()
        : assignment.inputs().stream().mapToLong(LockedPackage::buildTime).max().orElse(0);
    return request.pinnedTo(pinned.get(), epoch);
  }

  /** {@code deb} for a definition whose package manager is apt, {@code rpm} for every other. */
  private static String packageFamily(Assignment assignment) throws BuildFailure {
    String spec = assignment.definitionFiles().get(RepoDefinitionLoader.SPEC_FILE);
    if (spec == null) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the definition of " + assignment.repo() + " has no "
          + RepoDefinitionLoader.SPEC_FILE);
    }
    try {
      byte[] json = java.util.Base64.getDecoder().decode(spec); // DefinitionFiles carry each file as base64
      String manager = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("packagemanager").asText();
      return "apt".equals(manager) ? "deb" : "rpm";
    } catch (IOException | IllegalArgumentException e) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, RepoDefinitionLoader.SPEC_FILE + " of " + assignment.repo()
          + " cannot be read: " + e.getMessage());
    }
  }

  /**
   * The extra directory levels a varied assignment's work and build directories go under (see
   * {@link BuildVariation#pathPrefix()}); empty for every other build.
   */
  private static String pathPrefix(Assignment assignment) {
    BuildVariation variation = assignment.variation();
    return variation == null || variation.pathPrefix() == null ? "" : variation.pathPrefix();
  }

  private static BuildReport withLog(BuildReport r, String log) {
    return new BuildReport(r.buildId(), r.workerId(), r.attempt(), r.state(), r.artifacts(), r.stages(), r.error(),
        r.errorKind(), r.deterministic(), log, r.packageCache());
  }

  /** A FAILED report of a run that produced nothing. */
  static BuildReport failed(Assignment assignment, String workerId, String error, String kind, boolean deterministic) {
    return new BuildReport(assignment.buildId(), workerId, assignment.attempt(), BuildState.FAILED, List.of(),
        List.of(), error, kind, deterministic, null);
  }
}
