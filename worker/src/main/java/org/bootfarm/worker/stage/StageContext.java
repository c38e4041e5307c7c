package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.build.BuildRequest;
import org.bootfarm.worker.image.ImageRoot;
import org.bootfarm.worker.pkg.InstallReport;
import org.bootfarm.worker.pkg.PackageManagerDriver;
import org.bootfarm.worker.pkg.PackageSession;

/**
 * The state one build's stages share: the definition, the build directory and the image trees in
 * it, the package-manager driver, and what the stages found out on the way (kernel version,
 * downloads).
 *
 * <p>The build directory holds {@code stage/rootfs} and {@code stage/bootfs} (the tree each
 * stage archive captures), {@code iso/} (the ISO tree), {@code work/} (scratch) and
 * {@code out/} (outputs before they are published).
 */
public final class StageContext {
  private static final String STAGE_TREE = "stage";
  /** The prefix of every stage archive's name in an out directory. */
  public static final String STAGE_ARCHIVES = "stages/";
  private final RepoDefinition definition;
  private final BuildRequest request;
  private final Path buildDir;
  private final PackageManagerDriver driver;
  private final long sourceDateEpoch;
  private final BuildLog log;
  private final List<InstallReport> installs = new ArrayList<>();
  private String kernelVersion;
  private Lock lock;
  private java.util.Map<String, Path> inputFiles = java.util.Map.of();

  public StageContext(RepoDefinition definition, BuildRequest request, Path buildDir,
      PackageManagerDriver driver, long sourceDateEpoch, BuildLog log) {
    this.definition = definition;
    this.request = request;
    this.buildDir = buildDir;
    this.driver = driver;
    this.sourceDateEpoch = sourceDateEpoch;
    this.log = log;
  }

  public RepoDefinition definition() {
    return definition;
  }

  public BuildRequest request() {
    return request;
  }

  public Path buildDir() {
    return buildDir;
  }

  /** The directory a stage archive captures: {@code rootfs/} and {@code bootfs/}. */
  public Path stageTree() {
    return buildDir.resolve(STAGE_TREE);
  }

  /**
   * The image root, checked each time it is asked for: a hook writes inside it, and must not have
   * replaced the tree itself with a link ({@link ImageRoot#open}).
   */
  public ImageRoot rootfs() throws IOException {
    return ImageRoot.open(buildDir, STAGE_TREE + "/rootfs");
  }

  /** The tree that holds what goes beside the initramfs on the ISO (the kernel), checked like {@link #rootfs()}. */
  public ImageRoot bootfs() throws IOException {
    return ImageRoot.open(buildDir, STAGE_TREE + "/bootfs");
  }

  /** Creates both image trees of a fresh build (the base stage's first step). */
  public void createImageTrees() throws IOException {
    ImageRoot.create(buildDir, STAGE_TREE + "/rootfs");
    ImageRoot.create(buildDir, STAGE_TREE + "/bootfs");
  }

  /**
   * Where the archive of {@code stage}'s tree is written, or empty when nothing will read it and the stage is
   * only hashed (docs/adr/0062): {@code out/stages/<stage>.tar.gz} when the request publishes stage archives;
   * for the base stage of a build that puts it into the stage cache, {@code work/stages/base.tar.gz} otherwise.
   */
  public Optional<Path> archiveOf(String stage) {
    if (request.stageArchives()) {
      return Optional.of(outputDir().resolve(publishedArchive(stage)));
    }
    if (request.reuseStages() && BaseStage.NAME.equals(stage)) {
      return Optional.of(workDir().resolve(publishedArchive(stage)));
    }
    return Optional.empty();
  }

  /** Where an out directory holds the archive of {@code stage}, when the build publishes it: {@code stages/<stage>.tar.gz}. */
  public static String publishedArchive(String stage) {
    return STAGE_ARCHIVES + stage + ".tar.gz";
  }


  public Path isoTree() {
    return buildDir.resolve("iso");
  }

  public Path workDir() {
    return buildDir.resolve("work");
  }

  public Path outputDir() {
    return buildDir.resolve("out");
  }

  /** This repo's warm package cache on the worker. */
  public Path repoCacheDir() {
    return request.cacheDir().resolve("repos").resolve(definition.name());
  }

  public PackageManagerDriver driver() {
    return driver;
  }

  public long sourceDateEpoch() {
    return sourceDateEpoch;
  }

  public BuildLog log() {
    return log;
  }

  /** A package-manager session on the rootfs, attributed to the given stage. */
  public PackageSession packageSession(String stage) throws IOException {
    return new PackageSession(definition, rootfs().hostPath(), repoCacheDir(), workDir().resolve("pkg"),
        aptSources(), sourceDateEpoch, stage, log, request.pinned());
  }

  /** For apt definitions: the definition's own sources file, else the one the request names (else the worker's). */
  public Optional<Path> aptSources() {
    return definition.aptSources().or(() -> request.aptSources());
  }

  public void recordInstall(InstallReport report) {
    installs.add(report);
  }

  /** What every install of this build downloaded and took from the cache. */
  public InstallReport installTotals() {
    return installs.stream().reduce(InstallReport.NOTHING, InstallReport::plus);
  }

  public String kernelVersion() {
    return kernelVersion;
  }

  public void kernelVersion(String version) {
    this.kernelVersion = version;
  }

  /** The exact package set, taken before the database is cleaned out of the image. */
  /** Where each locked package's file is on this worker, by sha256 (empty until the staging stage took the lock). */
  public java.util.Map<String, Path> inputFiles() {
    return inputFiles;
  }

  /** Records where the locked packages' files are ({@link org.bootfarm.worker.pkg.PackageManagerDriver#packageFiles}). */
  public void inputFiles(java.util.Map<String, Path> files) {
    this.inputFiles = java.util.Map.copyOf(files);
  }

  public Lock lock() {
    return lock;
  }

  public void lock(Lock packages) {
    this.lock = packages;
  }
}
