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
 * @param unsignedAllowed whether the operator allowed this definition to install packages without a signature
 *                    check ({@code --allow-unsigned NAME}); the package-manager drivers enforce signatures
 *                    otherwise, whatever the files say
 * @param unsigned    what installs packages without a signature check, one entry per source, relative to the
 *                    definition (e.g. {@code fixture.repo [base]: gpgcheck=0}, {@code repo-spec.json kernel:
 *                    kernel-5.rpm}); empty unless allowed (a definition not allowed is refused), and empty
 *                    for an allowed definition that is signed throughout
 * @param notes       what an operator may want to know about a valid definition, each naming the file
 *                    and field (e.g. an init.sh without a drivers array); never a reason to refuse it
 */
public record RepoDefinition(
    Path directory,
    RepoSpec spec,
    List<Path> repoFiles,
    List<ResolvedKey> gpgKeys,
    Optional<Path> aptSources,
    Path initScript,
    Optional<Path> baseHook,
    Optional<Path> stagingHook,
    boolean unsignedAllowed,
    List<String> unsigned,
    List<DefinitionProblem> notes) {

  public RepoDefinition {
    unsigned = List.copyOf(unsigned);
    notes = List.copyOf(notes);
  }

  /** A definition that must be signed throughout, without notes. */
  public RepoDefinition(Path directory, RepoSpec spec, List<Path> repoFiles, List<ResolvedKey> gpgKeys,
      Optional<Path> aptSources, Path initScript, Optional<Path> baseHook, Optional<Path> stagingHook) {
    this(directory, spec, repoFiles, gpgKeys, aptSources, initScript, baseHook, stagingHook, false, List.of(),
        List.of());
  }

  /** A {@code gpgkey=file:///...} reference and the key file it was resolved to. */
  public record ResolvedKey(String reference, Path file) {
    /**
     * The file name a {@code file:} reference is found by, in the definition directory or the trusted-keys directory
     * ({@code VMWARE-RPM-GPG-KEY} for {@code file:///etc/pki/rpm-gpg/VMWARE-RPM-GPG-KEY}); null when it names none.
     */
    public static String fileName(String reference) {
      Path name = Path.of(reference.replaceFirst("^file:(//)?", "")).getFileName();
      return name == null ? null : name.toString();
    }
  }

  public String name() {
    return spec.name();
  }

  /**
   * The {@code gpgkey=file:} keys found outside the definition directory (in the trusted-keys directory): inputs the
   * digest does not cover, which a buildinfo records by sha256 ({@code BuildInfo.gpgKeys}, ADR 0067).
   */
  public List<ResolvedKey> keysFromOutside() {
    return gpgKeys.stream().filter(k -> !k.file().startsWith(directory)).toList();
  }

  /**
   * This definition as a copy of its directory in {@code to} ({@link DefinitionFiles#normalizedCopy}): every path
   * inside the directory moved there, keys found elsewhere (the trusted-keys directory) left where they are.
   */
  public RepoDefinition relocatedTo(Path to) {
    java.util.function.UnaryOperator<Path> move = p -> p.startsWith(directory) ? to.resolve(directory.relativize(p)) : p;
    return new RepoDefinition(to, spec, repoFiles.stream().map(move).toList(),
        gpgKeys.stream().map(k -> new ResolvedKey(k.reference(), move.apply(k.file()))).toList(),
        aptSources.map(move), move.apply(initScript), baseHook.map(move), stagingHook.map(move), unsignedAllowed,
        unsigned, notes);
  }
}
