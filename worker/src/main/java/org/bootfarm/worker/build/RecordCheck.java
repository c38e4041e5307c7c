package org.bootfarm.worker.build;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildMachine;
import org.bootfarm.protocol.build.HostFile;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;

/**
 * What a rebuild from a record ({@code bootfarm build --from-buildinfo}) compares with this machine before anything is
 * built (ADR 0067): the builder (bootfarm's version and the digest of its code), each tool's version and each host
 * file's sha256 must be the record's, or the rebuild is refused (INPUT) naming every difference, what the record says,
 * what this machine has, and what to do. With {@code allowMachineDifferences} (the operator's
 * {@code --allow-machine-differences}) it builds anyway, says so in its log, and its buildinfo lists each difference
 * ({@link BuildInfo#machineDifferences}), so a rebuild that differs is never mistaken for one that did not. The
 * record's inputs (definition, components, packages) are checked before, by whoever prepared them; an input never
 * differs by the operator's leave.
 *
 * @param recorded                the buildinfo being rebuilt
 * @param allowMachineDifferences whether a machine that differs may build it
 */
public record RecordCheck(BuildInfo recorded, boolean allowMachineDifferences) {
  /** The stage the check's log lines go under. */
  static final String STAGE = "build";

  /**
   * The differences between the record and this machine, one line each ({@code tool xorriso: recorded xorriso
   * 1.5.4-4, here xorriso 1.5.5-1}), sorted; empty when there are none.
   */
  static List<String> differences(BuildInfo recorded, String builder, Map<String, String> tools,
      Map<String, HostFile> hostFiles) {
    return BuildMachine.of(recorded).differences("recorded", BuildMachine.of(builder, tools, hostFiles), "here",
        "none (the record, of format " + recorded.format() + ", names no host files)");
  }

  /**
   * Compares this machine with the record: returns the differences the operator allowed (logged as such), for the
   * rebuild's buildinfo; empty when the machine is the record's.
   *
   * @throws BuildFailure INPUT naming each difference and what to do, when there are some and they are not allowed
   */
  List<String> compare(String builder, SortedMap<String, String> tools, SortedMap<String, HostFile> hostFiles,
      BuildLog log) throws BuildFailure {
    List<String> differences = differences(recorded, builder, tools, hostFiles);
    if (differences.isEmpty()) {
      log.line(STAGE, "rebuild: this machine's builder, " + tools.size() + " tools and " + hostFiles.size()
          + " host files are the record's");
      return List.of();
    }
    if (!allowMachineDifferences) {
      throw new BuildFailure(BuildFailure.Kind.INPUT, "this machine is not the one the record names: "
          + String.join("; ", differences) + ". Nothing was built. " + whatToDo(tools, hostFiles)
          + ", or pass --allow-machine-differences to build here anyway: the rebuild's buildinfo.json then lists"
          + " each difference under machineDifferences");
    }
    log.line(STAGE, "MACHINE DIFFERS from the record (allowed by the operator, listed in buildinfo.json"
        + " machineDifferences): " + String.join("; ", differences));
    return differences;
  }

  /**
   * Where the recorded machine's software comes from: the Debian package versions the record names for the tools and
   * host files that differ here, and the bootfarm jar.
   */
  private String whatToDo(Map<String, String> tools, Map<String, HostFile> hostFiles) {
    SortedMap<String, String> packages = new TreeMap<>();
    recorded.tools().forEach((tool, version) -> {
      // "PACKAGE VERSION" of a Debian package (xorriso 1.5.4-4, zlib1g 1:1.2.13.dfsg-1; not java's "Debian 17...")
      String[] words = version.split(" ");
      if (words.length == 2 && DEBIAN_PACKAGE_NAME.matcher(words[0]).matches() && !version.equals(tools.get(tool))) {
        packages.put(words[0], words[1]);
      }
    });
    recorded.hostFiles().forEach((path, file) -> {
      HostFile here = hostFiles.get(path);
      if (file.debianPackage() != null && (here == null || !here.sha256().equals(file.sha256()))) {
        String[] p = file.debianPackage().split(" ", 2);
        packages.put(p[0], p[1]);
      }
    });
    StringBuilder todo = new StringBuilder("Rebuild on a machine that has what the record names");
    if (!packages.isEmpty()) {
      List<String> pins = new ArrayList<>();
      packages.forEach((name, version) -> pins.add(name + "=" + version));
      todo.append(" (apt-get install ").append(String.join(" ", pins)).append(')');
    }
    return todo.append(" and run the bootfarm jar whose builder is ").append(recorded.builder()).toString();
  }

  /** Debian policy's package name: lower-case letters, digits, +, - and ., at least two, starting alphanumeric. */
  private static final java.util.regex.Pattern DEBIAN_PACKAGE_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9+.-]+");
}
