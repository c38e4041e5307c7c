package org.bootfarm.worker.pkg;

import java.nio.file.Path;
import java.util.List;
import org.bootfarm.protocol.build.LockedPackage;

/**
 * The exact package files a rebuild installs, already on this worker's disk and checked against their
 * sha256: a rebuild from a record ({@code bootfarm rebuild}, side B of a reproducibility pair, {@code build
 * --from-buildinfo}) installs exactly these, from a local repository its driver makes of them (createrepo_c
 * for rpm, a flat apt repository for deb), and never reads the definition's upstream repositories.
 *
 * @param dir      where the files are, each named {@link #fileName} (its sha256 and the engine's suffix)
 * @param packages the locked packages of the build being rebuilt, origins included: the rebuild's own lock
 *     names the same origins, so its buildinfo matches the original's
 */
public record PinnedInputs(Path dir, List<LockedPackage> packages) {
  public PinnedInputs {
    packages = List.copyOf(packages);
  }

  /** The file name of {@code p} in {@link #dir}: {@code <sha256>.rpm} or {@code <sha256>.deb}. */
  public static String fileName(LockedPackage p, String suffix) {
    return p.sha256() + suffix;
  }

  /** Where {@code p}'s file is: {@code dir/<sha256><suffix>}. */
  public Path file(LockedPackage p, String suffix) {
    return dir.resolve(fileName(p, suffix));
  }
}
