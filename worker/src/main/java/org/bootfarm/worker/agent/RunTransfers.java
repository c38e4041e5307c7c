package org.bootfarm.worker.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.bootfarm.protocol.transfer.Backoff;
import org.bootfarm.protocol.transfer.StoreFailover;
import org.bootfarm.protocol.transfer.TlsTrust;

/**
 * A run's traffic with the artifact store, through the farm's one {@link ArtifactStoreClient}: the
 * components it builds with come down (each checked against its sha256 before anything uses it), its
 * outputs and its whole log go up. Each transfer is carried through a coordinator's restart or
 * failover by {@link StoreFailover}, which asks the cluster which coordinator serves the store now,
 * until the run's report patience has passed.
 */
final class RunTransfers {
  private final ArtifactStoreClient store;
  private final StoreFailover failover;
  private final WorkerLog log;

  /**
   * @param token sent to the artifact store with every transfer (null: none)
   * @param trustedCas PEM CA files an {@code https} store may chain to, besides the JDK's roots
   * @throws IllegalArgumentException naming a CA file that cannot be read
   */
  RunTransfers(ClusterLink link, Backoff backoff, WorkerLog log, String token, List<Path> trustedCas) {
    try {
      this.store = ArtifactStoreClient.withToken(token, trustedCas.isEmpty() ? null : TlsTrust.withRoots(trustedCas));
    } catch (IOException e) {
      throw new IllegalArgumentException("the worker cannot trust its farm CA for HTTPS downloads and uploads: "
          + e.getMessage() + " (check the member directory's ca.pem)", e);
    }
    this.failover = new StoreFailover(backoff, link::activeArtifactsUrl, log::info);
    this.log = log;
  }

  /**
   * Downloads the assignment's components into {@code dir}, by name; checked, or an exception says why not. Before
   * anything is downloaded, the assignment must name every component its target boots with.
   *
   * @throws org.bootfarm.worker.BuildFailure INPUT, deterministic, naming the components the assignment lacks
   */
  Map<String, Path> fetchComponents(Assignment assignment, Path dir, long deadline)
      throws IOException, InterruptedException, org.bootfarm.worker.BuildFailure {
    List<String> required = org.bootfarm.protocol.repo.RepoSpec.COMPONENTS.getOrDefault(assignment.target(), List.of());
    List<String> missing = required.stream().filter(name -> !assignment.components().containsKey(name)).toList();
    if (!missing.isEmpty()) {
      throw new org.bootfarm.worker.BuildFailure(org.bootfarm.worker.BuildFailure.Kind.INPUT, "the assignment of build "
          + assignment.buildId() + " lacks component(s) " + missing + ": a " + assignment.target() + " boots with "
          + required + "; nothing was downloaded. Submit it again naming every one (bootfarm submit --component"
          + " NAME=FILE)");
    }
    Map<String, Path> components = new HashMap<>();
    for (Map.Entry<String, String> component : assignment.components().entrySet()) {
      Path file = dir.resolve(component.getKey());
      failover.run("build " + assignment.buildId() + ": download of component " + component.getKey(), deadline,
          assignment.artifactsUrl(), url -> store.download(url, component.getValue(), file));
      components.put(component.getKey(), file);
    }
    return components;
  }

  /** What archiving a build's inputs did: files uploaded, their bytes, and files the store held already. */
  record Archived(int uploaded, long bytes, int held) {
    String describe() {
      return "archived " + uploaded + " new input(s), " + bytes + " bytes; " + held + " already held";
    }
  }

  /**
   * Archives a successful build's inputs ({@code inputFiles}: sha256 to the package file on this machine) in the
   * farm's store: asks which ones it lacks ({@link ArtifactStoreClient#missing}) and uploads only those, so a
   * build of an unchanged repo uploads nothing.
   */
  Archived archiveInputs(Assignment assignment, Map<String, String> inputFiles, long deadline)
      throws IOException, InterruptedException {
    if (inputFiles.isEmpty()) {
      return new Archived(0, 0, 0);
    }
    List<List<String>> lacking = new ArrayList<>();
    failover.run("build " + assignment.buildId() + ": query of which inputs the store lacks", deadline,
        assignment.artifactsUrl(), url -> lacking.add(store.missing(url, inputFiles.keySet())));
    List<String> missing = lacking.get(lacking.size() - 1);
    long bytes = 0;
    for (String sha256 : missing) {
      Path file = Path.of(inputFiles.get(sha256));
      failover.run("build " + assignment.buildId() + ": upload of input " + file.getFileName() + " (" + sha256 + ")",
          deadline, assignment.artifactsUrl(), url -> store.upload(url, sha256, file));
      bytes += java.nio.file.Files.size(file);
    }
    return new Archived(missing.size(), bytes, inputFiles.size() - missing.size());
  }

  /**
   * Downloads a pinned assignment's inputs ({@link Assignment#inputs}) into {@code dir}, each as
   * {@code <sha256><suffix>} and checked against its sha256 before anything uses it.
   *
   * @throws org.bootfarm.worker.BuildFailure INPUT naming the package the store no longer holds, or whose bytes
   *     do not hash to what the record says (a damaged or tampered archive: nothing of it is kept)
   */
  void fetchInputs(Assignment assignment, Path dir, String suffix, long deadline)
      throws IOException, InterruptedException, org.bootfarm.worker.BuildFailure {
    for (org.bootfarm.protocol.build.LockedPackage input : assignment.inputs()) {
      Path file = dir.resolve(org.bootfarm.worker.pkg.PinnedInputs.fileName(input, suffix));
      try {
        failover.run("build " + assignment.buildId() + ": download of input " + input.describe(), deadline,
            assignment.artifactsUrl(), url -> store.download(url, input.sha256(), file));
      } catch (org.bootfarm.protocol.transfer.ArtifactTransferException e) {
        String problem = e.status() == 404
            ? "is no longer in the farm's artifact store (collected by retention?); pin the builds you may"
                + " rebuild (bootfarm pin ID) or keep more (--keep-builds), then build it anew"
            : e.status() == 200
            ? "was refused: the archived bytes do not hash to the recorded sha256, so the archive is damaged or"
                + " was tampered with; it was not used (" + e.getMessage() + ")"
            : "could not be downloaded: " + e.getMessage();
        throw new org.bootfarm.worker.BuildFailure(org.bootfarm.worker.BuildFailure.Kind.INPUT, "input package "
            + input.describe() + " (sha256 " + input.sha256() + ") " + problem);
      }
    }
  }

  /** Uploads the build's outputs from {@code out}; returns them as uploaded. */
  List<ArtifactRecord> uploadOutputs(Assignment assignment, List<ArtifactRecord> artifacts, Path out,
      long deadline) throws IOException, InterruptedException {
    List<ArtifactRecord> uploaded = new ArrayList<>();
    for (ArtifactRecord artifact : artifacts) {
      failover.run("build " + assignment.buildId() + ": upload of " + artifact.name(), deadline,
          assignment.artifactsUrl(), url -> store.upload(url, artifact.sha256(), out.resolve(artifact.name())));
      uploaded.add(artifact);
    }
    return uploaded;
  }

  /**
   * Uploads the build's finished log and returns its sha256, or null when that failed: the build's
   * outcome stands without its log, and the reason goes to the worker's log.
   */
  String uploadLog(Assignment assignment, BuildLogFile buildLog, long deadline) throws InterruptedException {
    try {
      Path file = buildLog.finish();
      String sha256 = Sha256.of(file);
      failover.run("build " + assignment.buildId() + ": upload of its log", deadline, assignment.artifactsUrl(),
          url -> store.upload(url, sha256, file));
      return sha256;
    } catch (IOException | RuntimeException e) {
      log.warning("the log of build " + assignment.buildId() + " was not uploaded, its report goes without it: "
          + e.getMessage());
      return null;
    }
  }
}
