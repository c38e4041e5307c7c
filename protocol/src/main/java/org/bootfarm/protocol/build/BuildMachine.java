package org.bootfarm.protocol.build;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The machine a build ran on, as its buildinfo records it (ADR 0067): the builder (bootfarm's version and the digest
 * of its code), each tool's version and each host file an output carries as it is. Two of them are compared by a
 * rebuild from a record (the record against this machine) and by a reproducibility verdict (one side against the
 * other), in the same words.
 *
 * @param builder   {@link BuildInfo#builder}
 * @param tools     {@link BuildInfo#tools}
 * @param hostFiles {@link BuildInfo#hostFiles}
 */
public record BuildMachine(String builder, SortedMap<String, String> tools, SortedMap<String, HostFile> hostFiles) {

  public BuildMachine {
    tools = new TreeMap<>(tools);
    hostFiles = new TreeMap<>(hostFiles);
  }

  /** The machine {@code info} records. */
  public static BuildMachine of(BuildInfo info) {
    return new BuildMachine(info.builder(), info.tools(), info.hostFiles());
  }

  /**
   * Each difference from {@code other}, one line each, builder first, then tools and host files by name ({@code tool
   * xorriso: recorded xorriso 1.5.4-4, here xorriso 1.5.5-1} with the names {@code recorded} and {@code here}); empty
   * when the machines are the same.
   *
   * @param thisName  what this machine is called in a line ("recorded", "left")
   * @param otherName what {@code other} is called ("here", "right")
   * @param absent    what a host file this machine lacks is shown as (a record of format 1 names none)
   */
  public List<String> differences(String thisName, BuildMachine other, String otherName, String absent) {
    List<String> differences = new ArrayList<>();
    if (!builder.equals(other.builder)) {
      differences.add("builder: " + thisName + " " + builder + ", " + otherName + " " + other.builder);
    }
    for (String tool : union(tools.keySet(), other.tools.keySet())) {
      String was = tools.get(tool);
      String is = other.tools.get(tool);
      if (was == null || !was.equals(is)) {
        differences.add("tool " + tool + ": " + thisName + " " + (was == null ? "none" : was) + ", " + otherName + " "
            + (is == null ? "none" : is));
      }
    }
    for (String path : union(hostFiles.keySet(), other.hostFiles.keySet())) {
      HostFile was = hostFiles.get(path);
      HostFile is = other.hostFiles.get(path);
      if (was == null || is == null || !was.sha256().equals(is.sha256())) {
        differences.add("host file " + path + ": " + thisName + " sha256 " + (was == null ? absent : was.describe())
            + ", " + otherName + " " + (is == null ? "none" : is.describe()));
      }
    }
    return differences;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new TreeSet<>(a);
    all.addAll(b);
    return all;
  }

  /** The machine of these parts, from maps of any kind (this machine's, as a build reads it). */
  public static BuildMachine of(String builder, Map<String, String> tools, Map<String, HostFile> hostFiles) {
    return new BuildMachine(builder, new TreeMap<>(tools), new TreeMap<>(hostFiles));
  }
}
