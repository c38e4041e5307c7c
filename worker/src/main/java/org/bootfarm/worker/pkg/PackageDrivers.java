package org.bootfarm.worker.pkg;

import org.bootfarm.worker.process.ToolVersions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.bootfarm.worker.archive.DeflateLibrary;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildFailure;

/**
 * The package-manager drivers this worker has, and which one builds a definition: dnf for tdnf,
 * yum and dnf definitions; mmdebstrap for apt. Also what the worker advertises (the package
 * managers it can run) and the tool versions a buildinfo records.
 */
public final class PackageDrivers {
  private final PackageManagerDriver dnf;
  private final PackageManagerDriver apt;
  /** dnf's version as the resolution's dnf reported it, or as dnf answers when no resolution ran. */
  private volatile String dnfVersion;

  /** The package managers this worker was limited to ({@code --package-managers}); null when not limited. */
  private final List<String> limitedTo;

  public PackageDrivers(PackageManagerDriver dnf, PackageManagerDriver apt) {
    this(dnf, apt, null);
  }

  private PackageDrivers(PackageManagerDriver dnf, PackageManagerDriver apt, List<String> limitedTo) {
    this.dnf = dnf;
    this.apt = apt;
    this.limitedTo = limitedTo;
  }

  /**
   * These drivers limited to some of the package managers they can run (a worker's
   * {@code --package-managers}): only those are advertised, and a definition of another one is
   * refused like one whose tools are missing.
   *
   * @throws IllegalArgumentException naming a package manager these drivers cannot run, and the ones
   *     they can
   */
  public PackageDrivers limitedTo(List<String> managers) {
    List<String> runnable = runnablePackageManagers();
    List<String> unknown = managers.stream().filter(m -> !runnable.contains(m)).toList();
    if (managers.isEmpty() || !unknown.isEmpty()) {
      throw new IllegalArgumentException("--package-managers " + String.join(",", managers) + ": "
          + (managers.isEmpty() ? "names none" : "this worker cannot run " + String.join(", ", unknown))
          + "; it can run " + (runnable.isEmpty() ? "nothing (install dnf or mmdebstrap)" : String.join(", ", runnable))
          + ", so list some of those, or leave the flag out to run all of them");
    }
    return new PackageDrivers(dnf, apt, List.copyOf(new java.util.LinkedHashSet<>(managers)));
  }

  /**
   * Checks the drivers' settings in a worker's {@code environment} ({@code BOOTFARM_APT_CONNECTIONS}), so that a bad
   * one stops the worker's start instead of failing its first apt build.
   *
   * @throws IllegalArgumentException naming the variable, its value and what to set it to
   */
  public static void checkEnvironment(Map<String, String> environment) {
    try {
      AptFetchPlan.connections(environment);
    } catch (BuildFailure e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The drivers of a standard worker. */
  public static PackageDrivers standard() {
    return new PackageDrivers(new DnfDriver(), new AptDriver());
  }

  /** The driver for a definition's package manager, or a TOOL failure saying what to install. */
  public PackageManagerDriver forDefinition(RepoDefinition definition) throws BuildFailure {
    String manager = definition.spec().packageManager();
    if (limitedTo != null && !limitedTo.contains(manager)) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "this worker runs only " + String.join(", ", limitedTo)
          + " (--package-managers), not " + manager + " definitions");
    }
    PackageManagerDriver driver = "apt".equals(manager) ? apt : dnf;
    Optional<String> missing = driver.unavailableReason();
    if (missing.isPresent()) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "this worker cannot run " + manager
          + " definitions: " + missing.get());
    }
    return driver;
  }

  /** The package managers definitions may name that this worker can run. */
  public List<String> runnablePackageManagers() {
    List<String> runnable = new java.util.ArrayList<>();
    if (dnf.unavailableReason().isEmpty()) {
      runnable.addAll(List.of("dnf", "tdnf", "yum"));
    }
    if (apt.unavailableReason().isEmpty()) {
      runnable.add("apt");
    }
    if (limitedTo != null) {
      runnable.retainAll(limitedTo);
    }
    return runnable;
  }

  /**
   * Starts asking the tools a build with this driver runs for their versions ({@link ToolVersions}), so that the
   * answers are there when the action cache's key or the buildinfo needs them, asked while the resolution's
   * {@code apt-get update} waits on the network. dnf's own version comes from the resolution (docs/adr/0055) and is
   * not asked here.
   */
  public void startToolVersions(PackageManagerDriver driver) {
    versionCommands(driver).forEach(ToolVersions::ask);
    DeflateLibrary.ask();
  }

  /** Versions of the tools a build with this driver runs, for the buildinfo. */
  public TreeMap<String, String> toolVersions(PackageManagerDriver driver) {
    TreeMap<String, String> tools = new TreeMap<>();
    if (driver != apt) {
      // dpkg's full version of the dnf package (ADR 0067), else what the resolution's dnf said (docs/adr/0055),
      // else what dnf answers
      if (dnfVersion == null) {
        dnfVersion = ToolVersions.packaged("dnf").orElseGet(() -> dnf.reportedVersion()
            .orElseGet(() -> ToolVersions.of(List.of("dnf", "--version"))));
      }
      tools.put("dnf", dnfVersion);
    }
    for (List<String> command : versionCommands(driver)) {
      tools.put(command.get(0).equals("apt-get") ? "apt" : command.get(0), ToolVersions.of(command));
    }
    // the runtime version carries the distribution's build (17.0.21.1+2-1-deb12u1-Debian), java.version does not
    tools.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
    // the initramfs's deflate bytes are the zlib's the JVM runs: Debian's system zlib (ADR 0067)
    tools.put("zlib", DeflateLibrary.version());
    return tools;
  }

  /** The version queries of the tools a build with this driver runs, dnf's aside. */
  private List<List<String>> versionCommands(PackageManagerDriver driver) {
    List<List<String>> commands = new java.util.ArrayList<>();
    if (driver == apt) {
      commands.add(List.of("mmdebstrap", "--version"));
      commands.add(List.of("dpkg", "--version"));
      commands.add(List.of("apt-get", "--version"));
    } else {
      commands.add(List.of("rpm", "--version"));
    }
    commands.add(List.of("kmod", "--version"));
    commands.add(List.of("xorriso", "-version"));
    return commands;
  }
}
