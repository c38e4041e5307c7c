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
 * @param tools            tool name to version string (dnf, rpm, mmdebstrap, xorriso, kmod, java)
 * @param lock             the exact package set
 * @param stages           stage name to the sha256 of its output archive, in run order (the JSON
 *                         keeps that order: write it with a mapper that does not sort map keys,
 *                         so a verdict can name the first stage that differs)
 * @param outputs          output file name to sha256 (initramfs, ISO)
 * @param unsigned         what installed packages without a signature check because the operator allowed
 *                         this repo unsigned ({@code --allow-unsigned}), one entry per source, e.g.
 *                         {@code fixture.repo [base]: gpgcheck=0} (sorted); absent from the JSON when
 *                         every package was checked
 */
@JsonPropertyOrder({"format", "builder", "repo", "target", "definitionDigest", "sourceDateEpoch",
    "components", "tools", "lock", "stages", "outputs", "unsigned"})
public record BuildInfo(
    int format,
    String builder,
    String repo,
    String target,
    String definitionDigest,
    long sourceDateEpoch,
    SortedMap<String, String> components,
    SortedMap<String, String> tools,
    Lock lock,
    Map<String, String> stages,
    SortedMap<String, String> outputs,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unsigned) {

  public static final int FORMAT = 1;

  /** The name a build publishes its buildinfo under. */
  public static final String FILE_NAME = "buildinfo.json";

  public BuildInfo {
    components = new TreeMap<>(components);
    tools = new TreeMap<>(tools);
    outputs = new TreeMap<>(outputs);
    unsigned = unsigned == null ? List.of() : unsigned.stream().sorted().toList();
  }

  /** The buildinfo of a build that checked every package's signature. */
  public BuildInfo(int format, String builder, String repo, String target, String definitionDigest,
      long sourceDateEpoch, SortedMap<String, String> components, SortedMap<String, String> tools, Lock lock,
      Map<String, String> stages, SortedMap<String, String> outputs) {
    this(format, builder, repo, target, definitionDigest, sourceDateEpoch, components, tools, lock, stages,
        outputs, List.of());
  }
}
