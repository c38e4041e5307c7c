package org.bootfarm.protocol.repo;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parsed {@code repo-spec.json} of a repo definition, in the seed's format: which package
 * manager builds it, which kernel and init it boots, and the package lists per target.
 *
 * @param name           the definition's name; equals its directory name
 * @param packageManager one of {@link #PACKAGE_MANAGERS}
 * @param init           the init the ISO's kernel command line names ({@code rdinit=})
 * @param kernel         a package name, or an absolute path to a kernel RPM
 * @param packages       package lists keyed by {@code base}, {@code bootstrap}, {@code appliance};
 *                       each a space-separated string as in the seed
 * @param stagingScripts {@code packages_script_staging} keyed by target: a package-manager command
 *                       such as {@code erase toybox}; empty string when none
 */
public record RepoSpec(
    String name,
    String packageManager,
    String init,
    String kernel,
    Map<String, String> packages,
    Map<String, String> stagingScripts) {

  /** Package managers a definition may name. */
  public static final List<String> PACKAGE_MANAGERS = List.of("tdnf", "yum", "dnf", "apt");

  /**
   * A package name of a tdnf, yum or dnf definition: a word starting with a letter or digit, of letters,
   * digits and {@code . _ + : ~ -} (so {@code name-version-release} and an epoch's {@code :} pass), never
   * anything dnf could read as an option, a glob or a file.
   */
  public static final Pattern RPM_PACKAGE_WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+:~-]*");

  /**
   * A package name of an apt definition, as Debian's policy spells them: lower-case letters, digits and
   * {@code + . -}, starting with a letter or digit, optionally {@code :ARCH} and {@code =VERSION}.
   */
  public static final Pattern APT_PACKAGE_WORD =
      Pattern.compile("[a-z0-9][a-z0-9+.\\-]*(:[a-z0-9\\-]+)?(=[A-Za-z0-9.+~:\\-]+)?");

  /** Targets a definition may build. */
  public static final List<String> TARGETS = List.of("bootstrap", "appliance");

  /**
   * The components each target boots with, all required and no others accepted: a bootstrap carries
   * tether and unpack; the endpoint VM's appliance carries vic-init and the daemons it starts.
   */
  public static final Map<String, List<String>> COMPONENTS = Map.of(
      "bootstrap", List.of("tether", "unpack"),
      "appliance", List.of("vic-init", "docker-engine-server", "port-layer-server", "vicadmin", "unpack"));

  public RepoSpec {
    packages = Map.copyOf(packages);
    stagingScripts = Map.copyOf(stagingScripts);
  }

  /** The packages of one list ({@code base}, {@code bootstrap}, {@code appliance}), split on blanks. */
  public List<String> packageList(String key) {
    String value = packages.getOrDefault(key, "");
    return value.isBlank() ? List.of() : Arrays.asList(value.trim().split("\\s+"));
  }

  /** The staging package-manager script of a target, or an empty string. */
  public String stagingScript(String target) {
    return stagingScripts.getOrDefault(target, "").trim();
  }

  /** Whether the definition can build the target: bootstrap always, appliance only with its list. */
  public boolean supportsTarget(String target) {
    return "bootstrap".equals(target) || ("appliance".equals(target) && packages.containsKey("appliance"));
  }

  /** Whether the kernel is given as a path to a kernel RPM rather than a package name. */
  public boolean kernelIsFile() {
    return kernel.startsWith("/");
  }

  /** The package-manager family: {@code rpm} for tdnf, yum and dnf; {@code deb} for apt. */
  public String family() {
    return "apt".equals(packageManager) ? "deb" : "rpm";
  }
}
