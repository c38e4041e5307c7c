package org.bootfarm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.StageRecord;
import org.bootfarm.cluster.PrivateDirectory;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.build.BuildEngine;
import org.bootfarm.worker.build.BuildRequest;
import org.bootfarm.worker.build.RecordCheck;
import org.bootfarm.worker.pkg.PackageDrivers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bootfarm build}: builds one repo definition on this machine and writes the ISO,
 * buildinfo.json, manifest.json and the stage archives to the out directory. Exit 0 on success,
 * 2 for a definition or input error, 1 for a build failure. With {@code --from-buildinfo FILE --inputs DIR}
 * it builds again exactly what a recorded buildinfo names, from archived inputs only ({@link RebuildInputs}), on a
 * machine whose builder, tools and host files are the record's ({@link RecordCheck}).
 */
@Command(name = "build", mixinStandardHelpOptions = true,
    description = "Build a bootstrap or appliance ISO from a repo definition on this machine.")
final class BuildCommand implements Callable<Integer> {

  @Parameters(index = "0", arity = "0..1", paramLabel = "REPO-DIR",
      description = "the repo definition directory, e.g. repos/debian-12 (with --from-buildinfo: default DIR/definition)")
  Path definitionDir;

  @Option(names = "--from-buildinfo", paramLabel = "FILE",
      description = "build again exactly what this buildinfo.json records (its target, components, packages and"
          + " SOURCE_DATE_EPOCH) from the archived inputs in --inputs, reading no package repository")
  Path fromBuildinfo;

  @Option(names = "--inputs", paramLabel = "DIR",
      description = "with --from-buildinfo: the build's inputs as bootfarm fetch --inputs writes them:"
          + " DIR/definition/, DIR/components/NAME, DIR/packages/ (package files, found by sha256) and DIR/keys/"
          + " (the trusted keys the record names, found by sha256, else looked up in --keys)")
  Path inputsDir;

  @Option(names = "--allow-machine-differences",
      description = "with --from-buildinfo: build even when this machine's bootfarm (builder), tools or host files"
          + " (isolinux.bin, ldlinux.c32) are not the record's; the new buildinfo.json lists each difference under"
          + " machineDifferences (default: refused, exit 2, naming each difference)")
  boolean allowMachineDifferences;

  @Option(names = "--target", defaultValue = "bootstrap",
      description = "what to build: bootstrap or appliance (default: ${DEFAULT-VALUE})")
  String target;

  @Option(names = "--component", paramLabel = "NAME=FILE",
      description = "a component file the image carries: tether=FILE and unpack=FILE for a bootstrap;"
          + " vic-init, docker-engine-server, port-layer-server, vicadmin and unpack for an appliance")
  Map<String, Path> components = new LinkedHashMap<>();

  @Option(names = "--out", defaultValue = "out", paramLabel = "DIR", description = "where the artifacts go (default: ${DEFAULT-VALUE})")
  Path outDir;

  @Option(names = "--cache-dir", paramLabel = "DIR",
      description = "the worker's cache root: warm package caches and build directories "
          + "(default: $BOOTFARM_CACHE_DIR, else /var/cache/bootfarm as root, else ~/.cache/bootfarm)")
  Path cacheDir;

  @Option(names = "--keys", paramLabel = "DIR",
      description = "trusted GPG keys for gpgkey=file: references (default: $BOOTFARM_KEYS, else /etc/pki/rpm-gpg)")
  Path keysDir;

  @Option(names = "--local-repos", description = "use each definition's <name>.repo.local instead of its .repo files")
  boolean localRepos;

  @Option(names = "--apt-sources", paramLabel = "FILE",
      description = "apt sources for apt definitions without their own (default: this machine's configured Debian sources)")
  Path aptSources;

  @Option(names = "--source-date-epoch", paramLabel = "N",
      description = "SOURCE_DATE_EPOCH of the image (default: $SOURCE_DATE_EPOCH, else " + BuildEngine.DEFAULT_SOURCE_DATE_EPOCH + ")")
  Long sourceDateEpoch;

  @Option(names = "--keep-build-dir", description = "leave the build directory under the cache dir for inspection")
  boolean keepBuildDir;

  @Option(names = "--reuse-stages", description = "take the base stage from the cache dir's stage cache when it"
      + " holds one for the same inputs, and put a base stage that ran there (default: every stage runs)")
  boolean reuseStages;

  @Option(names = "--stage-archives", description = "publish each stage's tree as stages/STAGE.tar.gz in the out"
      + " dir, to diff two builds stage by stage (default: each stage is hashed, not archived; its sha256 is the"
      + " sha256 of that archive's tar, zcat stages/STAGE.tar.gz | sha256sum)")
  boolean stageArchives;

  @Option(names = "--no-cache", description = "run every stage even when the cache dir's action cache holds the"
      + " outputs of a build with the same inputs and package set (default: such a build publishes those outputs"
      + " and runs nothing; a build that ran stores its outputs there)")
  boolean noCache;

  @Option(names = "--allow-unsigned", paramLabel = "REPO", split = "\\s*,\\s*",
      description = "allow definition REPO (its directory name) to install packages without a signature check;"
          + " the buildinfo then lists what went unchecked (default: every package's signature is checked)")
  List<String> allowUnsigned = new ArrayList<>();

  @Option(names = "--json", description = "print one JSON object with status, error, artifacts and stages; logs go to stderr")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (fromBuildinfo != null) {
      return rebuild();
    }
    if (inputsDir != null || allowMachineDifferences || definitionDir == null) {
      return refuse(definitionDir == null ? "give the repo definition directory (REPO-DIR), e.g. repos/photon-2.0"
          : (inputsDir != null ? "--inputs" : "--allow-machine-differences")
          + " is for a rebuild: give --from-buildinfo FILE too");
    }
    BuildRequest request = new BuildRequest(definitionDir.toAbsolutePath().normalize(), target, components,
        outDir.toAbsolutePath().normalize(), Defaults.cacheDir(cacheDir), Defaults.keysDir(keysDir), localRepos,
        Optional.ofNullable(aptSources).map(Path::toAbsolutePath), 
        sourceDateEpoch == null ? OptionalLong.empty() : OptionalLong.of(sourceDateEpoch), keepBuildDir)
        .withReuseStages(reuseStages).withAllowUnsigned(allowUnsigned).withActionCache(!noCache, null)
        .withStageArchives(stageArchives);
    return run(request);
  }

  /** {@code --from-buildinfo}: the recorded target, components and epoch, the archived packages only. */
  private Integer rebuild() throws Exception {
    if (inputsDir == null) {
      return refuse("--from-buildinfo needs --inputs DIR, the build's inputs (bootfarm fetch --inputs BUILD_ID --out DIR)");
    }
    if (!components.isEmpty() || sourceDateEpoch != null || reuseStages || localRepos) {
      return refuse("--from-buildinfo takes the components and SOURCE_DATE_EPOCH from the record and reads no"
          + " repository: leave out --component, --source-date-epoch, --reuse-stages and --local-repos");
    }
    Path cache = Defaults.cacheDir(cacheDir);
    RebuildInputs inputs;
    try {
      inputs = RebuildInputs.prepare(fromBuildinfo.toAbsolutePath(), inputsDir.toAbsolutePath(),
          definitionDir == null ? null : definitionDir.toAbsolutePath(), cache.resolve("rebuilds"),
          Defaults.keysDir(keysDir));
    } catch (BuildFailure failure) {
      return refuse(failure.getMessage());
    }
    try (inputs) {
      long epoch = inputs.info().sourceDateEpoch();
      BuildRequest request = new BuildRequest(inputs.definition(), inputs.info().target(), inputs.components(),
          outDir.toAbsolutePath().normalize(), cache, inputs.keysDir(), false,
          Optional.ofNullable(aptSources).map(Path::toAbsolutePath), OptionalLong.of(epoch), keepBuildDir)
          .withAllowUnsigned(allowUnsigned).pinnedTo(inputs.pinned(), epoch).withStageArchives(stageArchives)
          .checkedAgainst(new RecordCheck(inputs.info(), allowMachineDifferences));
      return run(request);
    }
  }

  /** An input error before anything was built: exit 2, reported as a failed build would be. */
  private Integer refuse(String error) throws Exception {
    BuildResult result = new BuildResult(BuildResult.FAILED, error, BuildFailure.Kind.INPUT.name(), List.of(),
        List.of(), null);
    if (json) {
      System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
    }
    System.err.println("bootfarm build: " + error);
    return BuildFailure.Kind.INPUT.exitCode();
  }

  private Integer run(BuildRequest request) throws Exception {
    // package files, indices and the action cache: readable by this user alone, as a worker's cache is (ADR 0065)
    PrivateDirectory.ensure(request.cacheDir(), "the build's cache directory (--cache-dir)");
    PrintStream logOut = json ? System.err : System.out;
    BuildProgress progress = new BuildProgress(logOut, System.console() != null && !json);
    BuildResult result = new BuildEngine(PackageDrivers.standard()).run(request, progress);
    progress.finish();
    if (json) {
      System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
    } else {
      printSummary(result, logOut);
    }
    if (result.succeeded()) {
      return 0;
    }
    return BuildFailure.Kind.valueOf(result.errorKind()).exitCode();
  }

  private void printSummary(BuildResult result, PrintStream out) {
    for (StageRecord stage : result.stages()) {
      out.printf("stage %-20s %7.1f s  %s%n", stage.name(), stage.seconds(), stage.sha256());
    }
    if (result.cachedFrom() != null) {
      out.println("served from the action cache: the outputs of " + result.cachedFrom() + "; no stage ran");
    }
    if (result.succeeded()) {
      for (ArtifactRecord artifact : result.artifacts()) {
        out.printf("%s  %s  (%d bytes)%n", artifact.sha256(), outDir.resolve(artifact.name()), artifact.size());
      }
    } else {
      System.err.println("bootfarm build: " + result.error());
    }
  }
}
