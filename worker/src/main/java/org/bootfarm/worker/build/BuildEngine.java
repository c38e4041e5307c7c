package org.bootfarm.worker.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.protocol.build.StageRecord;
import org.bootfarm.protocol.repo.DefinitionException;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.pkg.PackageManagerDriver;
import org.bootfarm.worker.stage.AssembleStage;
import org.bootfarm.worker.stage.BaseStage;
import org.bootfarm.worker.stage.Stage;
import org.bootfarm.worker.stage.StageContext;
import org.bootfarm.worker.stage.StagingStage;
import org.bootfarm.worker.record.TreeManifest;

/**
 * Runs one build on this machine: loads and checks the definition, checks the inputs, runs the
 * stages ({@code base}, {@code staging-<target>}, {@code assemble}) in a private build directory,
 * records the buildinfo and manifest, and publishes the outputs to the out directory only when
 * everything succeeded. Nothing is published by a failed build.
 */
public final class BuildEngine {
  /**
   * SOURCE_DATE_EPOCH when neither the request nor the environment names one (2024-01-01T00:00Z):
   * an image's dates are an input pinned in its buildinfo, never read from the clock.
   */
  public static final long DEFAULT_SOURCE_DATE_EPOCH = 1704067200L;
  /** The components a bootstrap boots with; a build without them fails before any work. */
  public static final List<String> BOOTSTRAP_COMPONENTS = List.of("tether", "unpack");
  public static final String BUILDINFO = BuildInfo.FILE_NAME;
  public static final String MANIFEST = Manifest.FILE_NAME;

  /**
   * Writes buildinfo.json. Map keys are not sorted by the mapper: every map of a buildinfo is a
   * sorted map already except {@code stages}, which stays in run order.
   */
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  private final PackageDrivers drivers;

  public BuildEngine(PackageDrivers drivers) {
    this.drivers = drivers;
  }

  /**
   * How the build's package installs used the warm cache so far (a failed build too: the worker's
   * metrics count its downloads); null when it failed before any stage could install.
   */
  private static PackageCacheUse cacheUse(StageContext ctx) {
    return ctx == null ? null : new PackageCacheUse(ctx.installTotals().downloaded(),
        ctx.installTotals().bytesDownloaded(), ctx.installTotals().fromCache());
  }

  /** Runs the build; never throws for a build failure, which is reported in the result. */
  public BuildResult run(BuildRequest request, BuildLog log) {
    List<StageRecord> stages = new ArrayList<>();
    Path buildDir = null;
    StageContext ctx = null;
    try {
      RepoDefinition definition = load(request);
      checkInputs(definition, request);
      PackageManagerDriver driver = drivers.forDefinition(definition);
      long sourceDateEpoch = sourceDateEpoch(request);

      buildDir = request.buildsRoot().resolve(UUID.randomUUID().toString());
      Files.createDirectories(buildDir);
      ctx = new StageContext(definition, request, buildDir, driver, sourceDateEpoch, log);
      AssembleStage assemble = new AssembleStage(definition.name());
      Map<String, String> stageHashes = new LinkedHashMap<>();
      for (Stage stage : List.of(new BaseStage(), new StagingStage(request.target()), assemble)) {
        log.stageStarted(stage.name());
        long start = System.nanoTime();
        String sha256 = stage.run(ctx);
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.add(new StageRecord(stage.name(), sha256, Math.round(seconds * 10) / 10.0));
        stageHashes.put(stage.name(), sha256);
        log.stageFinished(stage.name(), sha256, seconds);
      }

      TreeMap<String, String> outputs = new TreeMap<>();
      outputs.put("core.gz", assemble.initramfsSha256());
      outputs.put(assemble.isoName(), stageHashes.get(AssembleStage.NAME));
      BuildInfo info = new BuildInfo(BuildInfo.FORMAT, builderVersion(), definition.name(), request.target(),
          RepoDefinitionLoader.digest(definition.directory()), sourceDateEpoch, componentDigests(request),
          drivers.toolVersions(driver), ctx.lock(), stageHashes, outputs);
      Path out = ctx.outputDir();
      JSON.writeValue(out.resolve(BUILDINFO).toFile(), info);
      TreeManifest.write(assemble.manifest(), out.resolve(MANIFEST));

      List<ArtifactRecord> artifacts = publish(out, request.outDir(),
          List.of(assemble.isoName(), BUILDINFO, MANIFEST));
      log.line("build", "downloaded " + ctx.installTotals().downloaded() + " package files, "
          + ctx.installTotals().fromCache() + " from the warm cache");
      return new BuildResult(BuildResult.SUCCEEDED, null, null, artifacts, stages, cacheUse(ctx));
    } catch (BuildFailure failure) {
      log.line("build", "FAILED: " + failure.getMessage());
      return new BuildResult(BuildResult.FAILED, failure.getMessage(), failure.kind().name(), List.of(), stages,
          cacheUse(ctx));
    } catch (IOException | RuntimeException e) {
      log.line("build", "FAILED: " + e);
      return new BuildResult(BuildResult.FAILED, e.toString(), BuildFailure.Kind.INTERNAL.name(), List.of(), stages,
          cacheUse(ctx));
    } finally {
      if (buildDir != null && !request.keepBuildDir()) {
        FileTrees.deleteQuietly(buildDir);
      }
    }
  }

  private static RepoDefinition load(BuildRequest request) throws BuildFailure {
    try {
      return RepoDefinitionLoader.load(request.definitionDir(),
          new LoadOptions(request.keysDir(), request.localRepos()));
    } catch (DefinitionException e) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, e.getMessage(), e);
    }
  }

  private static void checkInputs(RepoDefinition definition, BuildRequest request) throws BuildFailure {
    if (!"bootstrap".equals(request.target())) {
      throw new BuildFailure(BuildFailure.Kind.INPUT, "unknown target '" + request.target()
          + "': this worker builds the bootstrap target (--target bootstrap)");
    }
    for (String name : BOOTSTRAP_COMPONENTS) {
      Path file = request.components().get(name);
      if (file == null) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "missing component '" + name
            + "': a bootstrap needs it; pass --component " + name + "=FILE");
      }
      if (!Files.isRegularFile(file)) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "component '" + name + "' file " + file
            + " does not exist or is not a regular file");
      }
    }
    for (String name : request.components().keySet()) {
      if (!BOOTSTRAP_COMPONENTS.contains(name)) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "unknown component '" + name
            + "': a bootstrap takes " + BOOTSTRAP_COMPONENTS);
      }
    }
  }

  static long sourceDateEpoch(BuildRequest request) throws BuildFailure {
    if (request.sourceDateEpoch().isPresent()) {
      return request.sourceDateEpoch().getAsLong();
    }
    String env = System.getenv("SOURCE_DATE_EPOCH");
    if (env != null && !env.isBlank()) {
      try {
        return Long.parseLong(env.trim());
      } catch (NumberFormatException e) {
        throw new BuildFailure(BuildFailure.Kind.INPUT,
            "environment variable SOURCE_DATE_EPOCH='" + env + "' is not a number of seconds");
      }
    }
    return DEFAULT_SOURCE_DATE_EPOCH;
  }

  private static TreeMap<String, String> componentDigests(BuildRequest request) throws IOException {
    TreeMap<String, String> digests = new TreeMap<>();
    for (Map.Entry<String, Path> c : request.components().entrySet()) {
      digests.put(c.getKey(), Sha256.of(c.getValue()));
    }
    return digests;
  }

  /**
   * Moves each output into the out directory under a temporary name, then renames it into place,
   * so a reader never sees a half-written file. Stage archives go to {@code stages/}.
   */
  private static List<ArtifactRecord> publish(Path from, Path to, List<String> names) throws IOException {
    List<ArtifactRecord> artifacts = new ArrayList<>();
    Files.createDirectories(to.resolve("stages"));
    List<String> all = new ArrayList<>(names);
    try (Stream<Path> stageFiles = Files.list(from.resolve("stages"))) {
      stageFiles.map(p -> "stages/" + p.getFileName()).sorted().forEach(all::add);
    }
    for (String name : all) {
      Path source = from.resolve(name);
      Path partial = to.resolve(name + ".partial");
      Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
      Files.move(partial, to.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (names.contains(name)) {
        artifacts.add(new ArtifactRecord(name, Sha256.of(to.resolve(name)), Files.size(to.resolve(name))));
      }
    }
    return artifacts;
  }

  /** The version of bootfarm that is running, from the jar manifest; "dev" when run from classes. */
  public static String builderVersion() {
    String version = BuildEngine.class.getPackage().getImplementationVersion();
    return version == null ? "bootfarm-dev" : "bootfarm-" + version;
  }

}
