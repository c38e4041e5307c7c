package org.bootfarm.protocol.repo;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * How {@link RepoDefinitionLoader} reads a definition on this machine.
 *
 * @param trustedKeysDir where {@code gpgkey=file:///...} keys are looked up when the definition
 *                       directory does not ship them (the farm's trusted keys; {@code --keys DIR} or
 *                       {@code BOOTFARM_KEYS}, default {@value #DEFAULT_TRUSTED_KEYS_DIR})
 * @param localRepos     local-repo mode: {@code <name>.repo.local} replaces the {@code *.repo} files
 * @param allowUnsigned  the names of the definitions the operator allows to install packages without a
 *                       signature check ({@code --allow-unsigned NAME}); any other definition that would is
 *                       refused (docs/adr/0027)
 */
public record LoadOptions(Path trustedKeysDir, boolean localRepos, Set<String> allowUnsigned) {

  /** The worker's default trusted-keys directory, where rpm-based distributions keep their keys. */
  public static final String DEFAULT_TRUSTED_KEYS_DIR = "/etc/pki/rpm-gpg";

  /** The environment variable that names the trusted-keys directory when no flag does. */
  public static final String KEYS_ENV = "BOOTFARM_KEYS";

  public LoadOptions {
    trustedKeysDir = trustedKeysDir == null ? Path.of(DEFAULT_TRUSTED_KEYS_DIR) : trustedKeysDir;
    allowUnsigned = allowUnsigned == null ? Set.of() : Set.copyOf(allowUnsigned);
  }

  /** Options that allow no definition to go unsigned. */
  public LoadOptions(Path trustedKeysDir, boolean localRepos) {
    this(trustedKeysDir, localRepos, Set.of());
  }

  /** The default trusted-keys directory, remote repositories, every definition signed. */
  public static LoadOptions defaults() {
    return new LoadOptions(Path.of(DEFAULT_TRUSTED_KEYS_DIR), false);
  }

  /** Whether the operator allowed the definition {@code name} to install packages without a signature check. */
  public boolean allowsUnsigned(String name) {
    return allowUnsigned.contains(name);
  }

  /** The same options, allowing exactly these definitions to go unsigned. */
  public LoadOptions withAllowUnsigned(Collection<String> names) {
    return new LoadOptions(trustedKeysDir, localRepos, Set.copyOf(names));
  }

  /**
   * The trusted-keys directory an operator asked for: the flag when given, else
   * {@code BOOTFARM_KEYS} from the environment, else {@value #DEFAULT_TRUSTED_KEYS_DIR}.
   */
  public static Path trustedKeysDir(String flag, Map<String, String> environment) {
    if (flag != null && !flag.isBlank()) {
      return Path.of(flag);
    }
    String fromEnv = environment.get(KEYS_ENV);
    return Path.of(fromEnv != null && !fromEnv.isBlank() ? fromEnv : DEFAULT_TRUSTED_KEYS_DIR);
  }

  /** The same options with a different trusted-keys directory. */
  public LoadOptions withTrustedKeysDir(Path dir) {
    return new LoadOptions(dir, localRepos, allowUnsigned);
  }

  /** The same options in or out of local-repo mode. */
  public LoadOptions withLocalRepos(boolean local) {
    return new LoadOptions(trustedKeysDir, local, allowUnsigned);
  }
}
