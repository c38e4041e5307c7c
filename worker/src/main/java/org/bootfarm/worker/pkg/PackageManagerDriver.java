package org.bootfarm.worker.pkg;

import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.worker.BuildFailure;

/**
 * One package manager, driven to install into an image root. One implementation per engine
 * (as mkosi has one installer per package manager); the flags each passes are in one place.
 */
public interface PackageManagerDriver {

  /** The engine's name as recorded in the lock and buildinfo ({@code dnf}, {@code mmdebstrap}). */
  String engine();

  /** Empty when this worker can run the driver; otherwise what is missing and how to install it. */
  Optional<String> unavailableReason();

  /**
   * Installs packages into the session's rootfs. A rootfs without a package database is
   * populated from scratch (whatever base.sh put there stays); otherwise packages are added.
   * Package files are fetched into, and reused from, the session's cache directory.
   *
   * @throws BuildFailure PACKAGE for an unknown package, NETWORK for an unreachable repository,
   *     INTEGRITY for a checksum or signature failure, TOOL when the engine itself fails
   */
  InstallReport install(PackageSession session, List<String> packages) throws BuildFailure;

  /**
   * The package files installing each of {@code transactions} into an empty root would take from the
   * session's repositories now, without downloading or installing anything: one line per file naming it and
   * its checksum from the repository's metadata, in a stable order. The action cache keys a build by them
   * (docs/adr/0048), so they must name what an install would really take: a package the repository
   * published since changes them. Empty when this driver cannot tell, or the packages do not resolve (the
   * action cache is then not used and the build runs). The session's rootfs is an empty scratch directory.
   */
  default Optional<List<String>> resolve(PackageSession session, List<List<String>> transactions)
      throws BuildFailure {
    return Optional.empty();
  }

  /**
   * {@link #resolve}, then, for a driver whose resolution can download too, the files of the first transaction
   * fetched into the session's cache by the same run when {@code fetchNow} accepts the resolved lines (the action
   * cache's miss, docs/adr/0058), so this build's install of those packages needs no download run of its own.
   * The default resolves and fetches nothing.
   */
  default Optional<List<String>> resolve(PackageSession session, List<List<String>> transactions,
      java.util.function.Predicate<List<String>> fetchNow) throws BuildFailure {
    return resolve(session, transactions);
  }

  /**
   * {@code lock}, what a build installed (installed and removed, {@link Lock#inputs}), in the line form of
   * {@link #resolve}: the same line for the same package file from the same repository. The action cache stores a
   * build's outputs under the key of its resolution only when these are the lines of its last transaction
   * ({@link ResolutionCheck}, docs/adr/0054): a base stage restored from the stage cache, or a repository that
   * moved while the build ran, installs other files than the key names. Empty when this driver cannot state
   * them: its outputs are then never stored, so a driver that resolves must override this too.
   */
  default Optional<List<String>> asResolvedLines(Lock lock) {
    return Optional.empty();
  }

  /**
   * The engine's version as one of its own runs in this process reported it ({@link #resolve}), so the buildinfo
   * need not start the engine again for {@code --version} (docs/adr/0055); empty when none did.
   */
  default Optional<String> reportedVersion() {
    return Optional.empty();
  }

  /** Runs a {@code packages_script_staging} command such as {@code erase toybox}. */
  void runScript(PackageSession session, String script) throws BuildFailure;

  /** The exact packages now installed in the rootfs, with the sha256 of each package file. */
  Lock lock(PackageSession session) throws BuildFailure;

  /**
   * Where each package of {@code lock} (installed and removed, {@link Lock#inputs}; as {@link #lock} read them from
   * this session) is on this worker's disk, by sha256: in the repo's warm cache, or for a pinned session in its {@link PinnedInputs#dir}. The
   * worker archives these files in the farm's store after a successful build (uploading only what the store
   * lacks), so the build can be rebuilt from its record once upstream has moved.
   *
   * @throws BuildFailure INTEGRITY when a locked package's file is nowhere to be found
   */
  java.util.Map<String, java.nio.file.Path> packageFiles(PackageSession session, Lock lock) throws BuildFailure;

  /**
   * Removes from the image what the package manager leaves behind: caches, logs, history
   * databases, lock files. With {@code keepDatabase} the package database stays (appliances
   * carry a package manager) and is made deterministic where the engine allows.
   */
  void cleanImage(PackageSession session, boolean keepDatabase) throws BuildFailure;
}
