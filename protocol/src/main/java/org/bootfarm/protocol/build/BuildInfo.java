package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The exact inputs of a build, and the hashes they produced: what a rebuild must reproduce.
 * Holds nothing that varies between two builds of the same inputs (no paths, clocks or durations), so
 * two reproducible builds write byte-identical buildinfo files. The one place a host appears is each
 * locked package's origin URL (where the package manager fetched it): two builds resolving from different
 * mirrors differ there, which is why a reproducibility pair's side B is a rebuild of side A's record and
 * keeps its origins (ADR 0038).
 *
 * @param format           version of this record's layout
 * @param builder          the bootfarm version that built it
 * @param repo             the definition's name
 * @param target           {@code bootstrap} or {@code appliance}
 * @param definitionDigest sha256 over the definition directory's files
 * @param sourceDateEpoch  the SOURCE_DATE_EPOCH every timestamp was clamped to
 * @param components       component name to sha256 (tether, unpack, ...)
 * @param tools            tool name to version string (dnf, rpm, mmdebstrap, xorriso, kmod, java): the Debian
 *                         package and its full version where one ships the tool ({@code xorriso 1.5.4-4})
 * @param hostFiles        each file of the building machine an output carries as it is (isolinux.bin, ldlinux.c32),
 *                         by path: its sha256 and the Debian package that shipped it (absent from the JSON in
 *                         records of format 1)
 * @param gpgKeys          each {@code gpgkey=file:} reference the build resolved outside the definition directory (in
 *                         the trusted-keys directory) to its key file's sha256; keys inside the definition are in
 *                         its digest; absent from the JSON when there are none
 * @param lock             the exact package set
 * @param stages           stage name to the sha256 of its output archive, in run order (the JSON
 *                         keeps that order: write it with a mapper that does not sort map keys,
 *                         so a verdict can name the first stage that differs)
 * @param outputs          output file name to sha256 (initramfs, ISO)
 * @param unsigned         what installed packages without a signature check because the operator allowed
 *                         this repo unsigned ({@code --allow-unsigned}), one entry per source, e.g.
 *                         {@code fixture.repo [base]: gpgcheck=0} (sorted); absent from the JSON when
 *                         every package was checked
 * @param machineDifferences for a rebuild from a record that the operator let build on a machine whose builder,
 *                         tools or host files are not the record's ({@code --allow-machine-differences}): each
 *                         difference, e.g. {@code tool xorriso: recorded xorriso 1.5.4-4, here xorriso 1.5.5-1};
 *                         absent from the JSON when the machine was the record's (ADR 0067)
 */
@JsonPropertyOrder({"format", "builder", "repo", "target", "definitionDigest", "sourceDateEpoch",
    "components", "tools", "hostFiles", "gpgKeys", "lock", "stages", "outputs", "unsigned", "machineDifferences"})
public record BuildInfo(
    int format,
    String builder,
    String repo,
    String target,
    String definitionDigest,
    long sourceDateEpoch,
    SortedMap<String, String> components,
    SortedMap<String, String> tools,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, HostFile> hostFiles,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, String> gpgKeys,
    Lock lock,
    Map<String, String> stages,
    SortedMap<String, String> outputs,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unsigned,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> machineDifferences) {

  /** 2: builder names the engine's code, tools their Debian versions, hostFiles and gpgKeys added (ADR 0067). */
  public static final int FORMAT = 2;

  /** The name a build publishes its buildinfo under. */
  public static final String FILE_NAME = "buildinfo.json";

  public BuildInfo {
    components = new TreeMap<>(components);
    tools = new TreeMap<>(tools);
    hostFiles = hostFiles == null ? new TreeMap<>() : new TreeMap<>(hostFiles);
    gpgKeys = gpgKeys == null ? new TreeMap<>() : new TreeMap<>(gpgKeys);
    outputs = new TreeMap<>(outputs);
    unsigned = unsigned == null ? List.of() : unsigned.stream().sorted().toList();
    machineDifferences = machineDifferences == null ? List.of() : List.copyOf(machineDifferences);
  }

  /** A buildinfo that names no host files or keys and no machine differences (records of format 1, tests). */
  public BuildInfo(int format, String builder, String repo, String target, String definitionDigest,
      long sourceDateEpoch, SortedMap<String, String> components, SortedMap<String, String> tools, Lock lock,
      Map<String, String> stages, SortedMap<String, String> outputs, List<String> unsigned) {
    this(format, builder, repo, target, definitionDigest, sourceDateEpoch, components, tools, null, null, lock,
        stages, outputs, unsigned, null);
  }

  /** The buildinfo of a build that checked every package's signature. */
  public BuildInfo(int format, String builder, String repo, String target, String definitionDigest,
      long sourceDateEpoch, SortedMap<String, String> components, SortedMap<String, String> tools, Lock lock,
      Map<String, String> stages, SortedMap<String, String> outputs) {
    this(format, builder, repo, target, definitionDigest, sourceDateEpoch, components, tools, lock, stages,
        outputs, List.of());
  }
}
