package org.bootfarm.worker.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * The stage-cache key of a {@code base} stage: the sha256 of a text listing everything the stage reads,
 * one {@code name value} line each, so two builds whose base stages would read the same inputs find the
 * same entry, and any change of one of them misses. What the base stage reads: the definition's name,
 * package manager, kernel (the file's sha256 when it is a path), {@code packages.base} and {@code base.sh};
 * the package sources ({@code *.repo} files and the keys they name, or the apt sources file in effect);
 * SOURCE_DATE_EPOCH; the bootfarm version and the versions of the tools the stage runs. Not in it, because
 * the base stage never reads them: init.sh, staging.sh, the other package lists, the components. Not in it
 * either, because nothing is resolved before the base stage runs: the repository's package set; an
 * entry's age is bounded instead ({@link StageCache#MAX_AGE}).
 */
public final class BaseStageKey {
  /** Changes whenever what the base stage does changes in a way its inputs do not show. */
  static final String FORMAT = "bootfarm-base-stage-key 4";

  private BaseStageKey() {}

  /**
   * The listing the key hashes.
   *
   * @param aptSources the apt sources file the build uses (apt definitions), else empty
   * @param tools      tool name to version, as the buildinfo records them
   */
  public static String listing(RepoDefinition definition, Optional<Path> aptSources, long sourceDateEpoch,
      String builder, Map<String, String> tools) throws IOException {
    RepoSpec spec = definition.spec();
    List<String> lines = new ArrayList<>();
    lines.add(FORMAT);
    lines.add("builder " + builder);
    tools.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(tool -> lines.add("tool " + tool.getKey() + " " + tool.getValue()));
    lines.add("source-date-epoch " + sourceDateEpoch);
    lines.add("repo " + spec.name());
    lines.add("package-manager " + spec.packageManager());
    lines.add("kernel " + spec.kernel());
    if (spec.kernelIsFile() && Files.isRegularFile(Path.of(spec.kernel()))) {
      lines.add("kernel-file " + Sha256.of(Path.of(spec.kernel())));
    }
    lines.add("packages.base " + String.join(" ", spec.packageList("base")));
    lines.add("base.sh " + (definition.baseHook().isPresent() ? Sha256.of(definition.baseHook().get()) : "none"));
    for (Path repoFile : definition.repoFiles().stream().sorted().toList()) {
      lines.add("repo-file " + repoFile.getFileName() + " " + Sha256.of(repoFile));
    }
    for (RepoDefinition.ResolvedKey key : definition.gpgKeys()) {
      lines.add("gpg-key " + key.reference() + " " + Sha256.of(key.file()));
    }
    if (aptSources.isPresent()) {
      lines.add("apt-sources " + Sha256.of(aptSources.get()));
    }
    return String.join("\n", lines) + "\n";
  }

  /** The key: the sha256 of {@link #listing}. */
  public static String of(String listing) {
    return Sha256.of(listing.getBytes(StandardCharsets.UTF_8));
  }
}
