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
import java.util.Optional;
import java.util.SortedMap;
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
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.pkg.PackageManagerDriver;
import org.bootfarm.worker.archive.DeterministicTar;
import org.bootfarm.worker.cache.BaseStageKey;
import org.bootfarm.worker.cache.StageCache;
import org.bootfarm.worker.iso.HostBootFiles;
import org.bootfarm.worker.pkg.AptDriver;
import org.bootfarm.worker.pkg.AptSourcesFile;
import org.bootfarm.worker.stage.BaseStage;
import org.bootfarm.worker.stage.ImageAssembly;
import org.bootfarm.worker.stage.Stage;
import org.bootfarm.worker.stage.StageContext;
import org.bootfarm.worker.stage.StagingStage;
import org.bootfarm.worker.record.TreeManifest;

/**
 * Runs one build on this machine: loads and checks the definition, checks the inputs of the target
 * ({@link Target}: bootstrap or appliance), runs the stages ({@code base}, {@code staging-<target>},
 * {@code assemble}) in a private build directory, records the buildinfo and manifest, and publishes the
 * outputs to the out directory only when everything succeeded. Nothing is published by a failed build.
 * With {@link BuildRequest#reuseStages()} the {@code base} stage comes from the worker's {@link StageCache}
 * when it holds one for the same inputs, and a base stage that ran is put there. With
 * {@link BuildRequest#actionCache()} an unchanged build publishes the outputs of the earlier build with the
 * same inputs, package set included, instead of running ({@link ActionCaching}).
 */
public final class BuildEngine {
  /**
   * SOURCE_DATE_EPOCH when neither the request nor the environment names one (2024-01-01T00:00Z):
   * an image's dates are an input pinned in its buildinfo, never read from the clock.
   */
  public static final long DEFAULT_SOURCE_DATE_EPOCH = 1704067200L;
  /** The components a bootstrap boots with; a build without them fails before any work. */
  public static final List<String> BOOTSTRAP_COMPONENTS = Target.BOOTSTRAP.components();
  public static final String BUILDINFO = BuildInfo.FILE_NAME;
  public static final String MANIFEST = Manifest.FILE_NAME;
  /** The build directory's copy of the definition, as every step of the build reads it. */
  static final String DEFINITION = "definition";

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
      Target target = Target.of(request.target());
      target.checkInputs(definition, request.components());
      PackageManagerDriver driver = drivers.forDefinition(definition);
      drivers.startToolVersions(driver);
      HostBootFiles.Read hostFiles = HostBootFiles.read();
      List<String> unsigned = unsignedSources(definition, request);
      if (!unsigned.isEmpty()) {
        log.line("build", "UNSIGNED (allowed by the operator): packages installed without a signature check from "
            + String.join("; ", unsigned));
      }
      long sourceDateEpoch = sourceDateEpoch(request);
      List<String> machineDifferences = request.recordCheck().isPresent()
          ? request.recordCheck().get().compare(builderVersion(), drivers.toolVersions(driver), hostFiles.files(), log)
          : List.of();

      buildDir = request.buildsRoot().resolve(UUID.randomUUID().toString());
      makeBuildDirectory(buildDir);
      // hooks and every later step read a copy whose modes and mtimes follow from the digest alone (ADR 0067)
      definition = DefinitionFiles.normalizedCopy(definition,
          buildDir.resolve(DEFINITION).resolve(definition.directory().getFileName().toString()), sourceDateEpoch);
      ctx = new StageContext(definition, request, buildDir, driver, sourceDateEpoch, log);
      // keys from the trusted-keys directory are inputs: recorded, and archived with the packages (ADR 0067)
      SortedMap<String, String> trustedKeys = new TreeMap<>();
      for (RepoDefinition.ResolvedKey key : definition.keysFromOutside()) {
        trustedKeys.put(key.reference(), Sha256.of(key.file()));
      }
      // hashed once: the action cache's key and the buildinfo both name them
      String definitionDigest = RepoDefinitionLoader.digest(definition.directory());
      TreeMap<String, String> componentDigests = componentDigests(request);
      Optional<ActionCaching> caching = request.actionCache()
          ? ActionCaching.prepare(ctx, target, drivers, definitionDigest, componentDigests, hostFiles.digests(),
              unsigned)
          : Optional.empty();
      Optional<BuildResult> served = caching.isPresent() ? caching.get().serve() : Optional.empty();
      if (served.isPresent()) {
        return served.get();
      }
      ImageAssembly assemble = target.assembly(definition);
      Map<String, String> stageHashes = new LinkedHashMap<>();
      for (Stage stage : List.of(new BaseStage(), new StagingStage(target.id()), assemble)) {
        log.stageStarted(stage.name());
        long start = System.nanoTime();
        boolean cacheable = stage instanceof BaseStage && request.reuseStages();
        Optional<String> cached = cacheable ? restoreBase(ctx, driver) : Optional.empty();
        String sha256 = cached.isPresent() ? cached.get() : stage.run(ctx);
        if (cacheable && cached.isEmpty()) {
          publishBase(ctx, driver, sha256);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.add(new StageRecord(stage.name(), sha256, Math.round(seconds * 10) / 10.0,
            cached.isPresent() ? Boolean.TRUE : null));
        stageHashes.put(stage.name(), sha256);
        log.stageFinished(stage.name(), sha256, seconds);
      }

      HostBootFiles.checkCopied(ctx.isoTree(), hostFiles.digests());
      TreeMap<String, String> outputs = new TreeMap<>();
      outputs.put("core.gz", assemble.initramfsSha256());
      outputs.put(assemble.isoName(), stageHashes.get(assemble.name()));
      BuildInfo info = new BuildInfo(BuildInfo.FORMAT, builderVersion(), definition.name(), target.id(),
          definitionDigest, sourceDateEpoch, componentDigests, drivers.toolVersions(driver), hostFiles.files(),
          trustedKeys, ctx.lock(), stageHashes, outputs, unsigned, machineDifferences);
      Path out = ctx.outputDir();
      JSON.writeValue(out.resolve(BUILDINFO).toFile(), info);
      TreeManifest.write(assemble.manifest(), out.resolve(MANIFEST));

      List<String> published = new ArrayList<>();
      List<ArtifactRecord> artifacts = publish(out, request.outDir(),
          List.of(assemble.isoName(), BUILDINFO, MANIFEST),
          Map.of(assemble.isoName(), stageHashes.get(assemble.name())), !request.keepBuildDir(), published);
      removeStageArchivesNotPublished(request.outDir(), stageHashes.keySet(), published);
      caching.ifPresent(c -> c.store(artifacts, published));
      log.line("build", "downloaded " + ctx.installTotals().downloaded() + " package files, "
          + ctx.installTotals().fromCache() + " from the warm cache");
      Map<String, String> inputFiles = new TreeMap<>();
      ctx.inputFiles().forEach((sha256, file) -> inputFiles.put(sha256, file.toAbsolutePath().toString()));
      definition.keysFromOutside().forEach(k -> inputFiles.put(trustedKeys.get(k.reference()), k.file().toString()));
      return new BuildResult(BuildResult.SUCCEEDED, null, null, artifacts, stages, cacheUse(ctx), inputFiles);
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

  /**
   * Makes the build directory readable by its owner only (0700, whatever the umask): it holds the
   * image trees, the package sessions and the outputs before they are published.
   */
  static void makeBuildDirectory(Path buildDir) throws IOException {
    java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly =
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
    Files.createDirectories(buildDir.getParent());
    Files.createDirectory(buildDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(ownerOnly));
    Files.setPosixFilePermissions(buildDir, ownerOnly);
  }

  /** The stage-cache key of this build's base stage ({@link BaseStageKey}). */
  private String baseKey(StageContext ctx, PackageManagerDriver driver) throws BuildFailure, IOException {
    Optional<Path> aptSources = Optional.empty();
    if ("apt".equals(ctx.definition().spec().packageManager())) {
      Optional<Path> chosen = ctx.aptSources();
      aptSources = Optional.of(chosen.isPresent() ? chosen.get() : AptDriver.defaultSources());
    }
    return BaseStageKey.of(BaseStageKey.listing(ctx.definition(), aptSources, ctx.sourceDateEpoch(),
        builderVersion(), drivers.toolVersions(driver)));
  }

  /**
   * Restores the base stage's tree from the worker's stage cache when it holds a verified entry for this
   * build's key: the archive is extracted into the stage tree, whose sha256 ({@link DeterministicTar#digest},
   * or the archive written again when the request publishes stage archives) must be the entry's (the restored
   * tree is then the one the archive captured: paths, contents, numeric owners, modes, links, device nodes,
   * clamped mtimes). Returns that sha256, or empty when the stage must run (no entry, or one that did not
   * restore identically, which is discarded).
   */
  private Optional<String> restoreBase(StageContext ctx, PackageManagerDriver driver) throws BuildFailure, IOException {
    String key = baseKey(ctx, driver);
    StageCache cache = new StageCache(ctx.request().stageCacheDir());
    Optional<StageCache.Entry> entry = cache.find(BaseStage.NAME, key, ctx.log());
    if (entry.isEmpty()) {
      ctx.log().line(BaseStage.NAME, "stage cache: no entry for key " + key + "; the stage runs");
      return Optional.empty();
    }
    ctx.log().line(BaseStage.NAME, "stage cache: restoring " + entry.get().archive().getFileName());
    DeterministicTar.extract(entry.get().archive(), ctx.stageTree());
    Files.createDirectories(ctx.workDir());
    Optional<Path> published = ctx.request().stageArchives() ? ctx.archiveOf(BaseStage.NAME) : Optional.empty();
    String restored;
    if (published.isPresent()) {
      Files.createDirectories(published.get().getParent());
      restored = DeterministicTar.write(ctx.stageTree(), published.get(), ctx.sourceDateEpoch());
    } else {
      restored = DeterministicTar.digest(ctx.stageTree(), ctx.sourceDateEpoch());
    }
    if (!restored.equals(entry.get().sha256())) {
      ctx.log().line(BaseStage.NAME, "stage cache: the restored tree hashes to " + restored + ", not "
          + entry.get().sha256() + "; entry discarded, the stage runs");
      Files.deleteIfExists(entry.get().archive());
      FileTrees.delete(ctx.stageTree());
      if (published.isPresent()) {
        Files.deleteIfExists(published.get());
      }
      return Optional.empty();
    }
    ctx.log().line(BaseStage.NAME, "stage cache: base from cache (key " + key + ", sha256 " + restored
        + "); the stage did not run");
    return Optional.of(restored);
  }

  /**
   * Puts the base stage archive this build made into the worker's stage cache. A cache that cannot take
   * it (disk full, permissions) costs later builds time, not this build: the reason is logged.
   */
  private void publishBase(StageContext ctx, PackageManagerDriver driver, String sha256) throws BuildFailure {
    try {
      String key = baseKey(ctx, driver);
      StageCache.Entry entry = new StageCache(ctx.request().stageCacheDir())
          .publish(BaseStage.NAME, key, ctx.archiveOf(BaseStage.NAME).orElseThrow(), sha256);
      ctx.log().line(BaseStage.NAME, "stage cache: published " + entry.archive().getFileName() + " (key " + key + ")");
    } catch (IOException e) {
      ctx.log().line(BaseStage.NAME, "stage cache: not published, " + e.getMessage()
          + "; check " + ctx.request().stageCacheDir());
    }
  }

  /**
   * What this build installs without a signature check, for its buildinfo: what the loader found in the
   * definition (only when the operator allowed it unsigned), and, for an apt definition without sources of
   * its own, the insecure entries of the sources it takes instead ({@code --apt-sources} or the worker's),
   * named without path or line, which differ between workers. Those are refused here, naming the file,
   * unless allowed; the apt driver refuses them again on its own. A rebuild from a record reads no sources
   * (it installs its pinned files), so it neither checks nor names the rebuilding machine's.
   */
  static List<String> unsignedSources(RepoDefinition definition, BuildRequest request) throws BuildFailure {
    List<String> unsigned = new ArrayList<>(definition.unsigned());
    if ("apt".equals(definition.spec().packageManager()) && definition.aptSources().isEmpty()
        && request.pinned().isEmpty()) {
      Path file = request.aptSources().isPresent() ? request.aptSources().get() : AptDriver.defaultSources();
      AptSourcesFile sources;
      try {
        sources = AptSourcesFile.read(file);
      } catch (IOException | IllegalArgumentException e) {
        return unsigned; // the driver reports an unreadable sources file when it needs it
      }
      List<String> insecure = sources.insecure().stream().flatMap(e -> e.insecureOptions().stream())
          .distinct().sorted().toList();
      if (!insecure.isEmpty() && !definition.unsignedAllowed()) {
        throw new BuildFailure(BuildFailure.Kind.INPUT, "apt sources file " + file + " "
            + String.join("; ", sources.describeInsecure()) + ": that switches apt's signature check off for "
            + definition.name() + "; remove the option and name the archive's key with signed-by=, or pass"
            + " --allow-unsigned " + definition.name() + " to build it unsigned on purpose");
      }
      insecure.forEach(option -> unsigned.add("apt sources of the worker: " + option));
    }
    return List.copyOf(unsigned);
  }

  private static RepoDefinition load(BuildRequest request) throws BuildFailure {
    try {
      return RepoDefinitionLoader.load(request.definitionDir(),
          new LoadOptions(request.keysDir(), request.localRepos(), request.allowUnsigned()));
    } catch (DefinitionException e) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, e.getMessage(), e);
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
   * Moves (or, when the build directory is kept, copies) each output into the out directory under a
   * temporary name, then renames it into place, so a reader never sees a half-written file, and adds its name
   * to {@code published}. Stage archives, when the build wrote them, go to {@code stages/}. An output whose sha256 is {@code known} (the ISO, hashed as it was written) is not
   * read again.
   */
  private static List<ArtifactRecord> publish(Path from, Path to, List<String> names, Map<String, String> known,
      boolean move, List<String> published) throws IOException {
    List<ArtifactRecord> artifacts = new ArrayList<>();
    Files.createDirectories(to);
    List<String> all = new ArrayList<>(names);
    if (Files.isDirectory(from.resolve("stages"))) {
      Files.createDirectories(to.resolve("stages"));
      try (Stream<Path> stageFiles = Files.list(from.resolve("stages"))) {
        stageFiles.map(p -> "stages/" + p.getFileName()).sorted().forEach(all::add);
      }
    }
    for (String name : all) {
      Path source = from.resolve(name);
      Path partial = to.resolve(name + ".partial");
      if (move) {
        Files.move(source, partial, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(partial, to.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      published.add(name);
      if (names.contains(name)) {
        String sha256 = known.containsKey(name) ? known.get(name) : Sha256.of(to.resolve(name));
        artifacts.add(new ArtifactRecord(name, sha256, Files.size(to.resolve(name))));
      }
    }
    return artifacts;
  }

  /**
   * Deletes from {@code outDir} the archive of each of {@code stages} that {@code published} does not name: one an
   * earlier build left there would sit beside outputs it did not make (docs/adr/0062).
   */
  static void removeStageArchivesNotPublished(Path outDir, Iterable<String> stages, List<String> published)
      throws IOException {
    for (String stage : stages) {
      String name = StageContext.publishedArchive(stage);
      if (!published.contains(name)) {
        Files.deleteIfExists(outDir.resolve(name));
      }
    }
  }

  /**
   * The bootfarm that is running, as the buildinfo's {@code builder} names it: the jar manifest's version and the
   * digest of its code ({@link EngineCode#builder}), {@code bootfarm-dev+engine.DIGEST} when run from classes.
   */
  public static String builderVersion() {
    return EngineCode.builder();
  }

}
