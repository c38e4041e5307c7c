package org.bootfarm.worker.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.repo.RepoDefinition;

/**
 * The action-cache key of a whole build: the sha256 of a text listing of everything that determines its
 * outputs, one {@code name value} line each (as {@link BaseStageKey} lists a stage's inputs), so two builds
 * with the same listing make the same bytes and any change of one input misses (docs/adr/0048). The listing
 * holds the definition's digest (every file of its directory), target, SOURCE_DATE_EPOCH, each component's
 * sha256, the bootfarm version and the versions of the tools, the repository files and keys in effect, what
 * goes unsigned, and the package files the build's installs resolve to now with their checksums
 * ({@code PackageManagerDriver#resolve}): a package the repository published since changes the key. The builder
 * names the digest of the engine's code and each host file an ISO carries is listed by its sha256 (ADR 0067):
 * another jar or another isolinux.bin makes other bytes, so it misses.
 */
public final class ActionKey {
  /** Changes whenever what a build does changes in a way its inputs do not show. */
  static final String FORMAT = "bootfarm-action-key 4";

  private ActionKey() {}

  /**
   * The listing the key hashes.
   *
   * @param components component name to its file's sha256
   * @param builder    the buildinfo's builder: version and engine digest
   * @param tools      tool name to version, as the buildinfo records them
   * @param hostFiles  host file path to its sha256, as the buildinfo records them
   * @param resolved   the driver's resolution of the build's installs
   */
  public static String listing(RepoDefinition definition, String definitionDigest, String target,
      long sourceDateEpoch, SortedMap<String, String> components, String builder, Map<String, String> tools,
      Map<String, String> hostFiles, List<String> unsigned, List<String> resolved) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(FORMAT);
    lines.add("builder " + builder);
    tools.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(tool -> lines.add("tool " + tool.getKey() + " " + tool.getValue()));
    hostFiles.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(file -> lines.add("host-file " + file.getKey() + " " + file.getValue()));
    lines.add("repo " + definition.name());
    lines.add("definition " + definitionDigest);
    lines.add("target " + target);
    lines.add("source-date-epoch " + sourceDateEpoch);
    components.forEach((name, sha256) -> lines.add("component " + name + " " + sha256));
    for (Path repoFile : definition.repoFiles().stream().sorted().toList()) {
      lines.add("repo-file " + repoFile.getFileName() + " " + Sha256.of(repoFile));
    }
    for (RepoDefinition.ResolvedKey key : definition.gpgKeys()) {
      lines.add("gpg-key " + key.reference() + " " + Sha256.of(key.file()));
    }
    unsigned.stream().sorted().forEach(u -> lines.add("unsigned " + u));
    resolved.forEach(r -> lines.add("resolved " + r));
    return String.join("\n", lines) + "\n";
  }

  /** The key: the sha256 of {@link #listing}. */
  public static String of(String listing) {
    return Sha256.of(listing.getBytes(StandardCharsets.UTF_8));
  }
}
