package org.bootfarm.protocol.repo;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A validated repo definition directory: the spec plus the files around it, resolved to paths.
 *
 * @param directory   the definition directory ({@code repos/<name>})
 * @param spec        the parsed {@code repo-spec.json}
 * @param repoFiles   the yum {@code *.repo} files in effect (the {@code <name>.repo.local} file alone
 *                    in local-repo mode); empty for apt definitions
 * @param gpgKeys     every {@code gpgkey=file:} reference resolved to a key file on this machine
 * @param aptSources  for apt definitions, a deb822 or one-line sources file shipped with the
 *                    definition; empty means "the worker's own configured apt sources"
 * @param initScript  {@code init.sh}
 * @param baseHook    {@code base.sh}, when present
 * @param stagingHook {@code staging.sh}, when present
 */
public record RepoDefinition(
    Path directory,
    RepoSpec spec,
    List<Path> repoFiles,
    List<ResolvedKey> gpgKeys,
    Optional<Path> aptSources,
    Path initScript,
    Optional<Path> baseHook,
    Optional<Path> stagingHook) {

  /** A {@code gpgkey=file:///...} reference and the key file it was resolved to. */
  public record ResolvedKey(String reference, Path file) {}

  public String name() {
    return spec.name();
  }
}
