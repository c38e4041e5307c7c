package org.bootfarm.worker.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.bootfarm.protocol.build.StageRecord;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.cache.ActionCache;
import org.bootfarm.worker.cache.ActionKey;
import org.bootfarm.worker.pkg.PackageDrivers;
import org.bootfarm.worker.pkg.PackageSession;
import org.bootfarm.worker.pkg.ResolutionCheck;
import org.bootfarm.worker.stage.StageContext;

/**
 * One build's use of the action cache (docs/adr/0048): its key, from the definition, target, epoch,
 * components, builder (the engine's code), tools, host files (ADR 0067) and the package files its installs resolve
 * to now; the outputs of an earlier build with
 * the same key published instead of running (the result says from which build); the outputs of a build that
 * ran stored under its key. A build whose packages cannot be resolved up front (a driver that cannot tell,
 * a resolution that fails) runs without the cache.
 */
final class ActionCaching {
  /** The stage the action cache's log lines are attributed to. */
  static final String STAGE = "build";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StageContext ctx;
  private final String key;
  private final List<String> resolved;
  private final ActionCache cache;

  private ActionCaching(StageContext ctx, String key, List<String> resolved) {
    this.ctx = ctx;
    this.key = key;
    this.resolved = resolved;
    this.cache = new ActionCache(ctx.request().actionCacheDir());
  }

  /**
   * The action cache of this build, its key computed (which resolves the packages against the repositories'
   * current metadata) with the definition's and components' digests as the buildinfo records them; empty when
   * the build cannot use it.
   */
  static Optional<ActionCaching> prepare(StageContext ctx, Target target, PackageDrivers drivers,
      String definitionDigest, SortedMap<String, String> componentDigests, Map<String, String> hostFiles,
      List<String> unsigned) throws BuildFailure, IOException {
    long start = System.nanoTime();
    var spec = ctx.definition().spec();
    List<String> base = new ArrayList<>(spec.packageList("base"));
    base.add(spec.kernel());
    List<List<String>> transactions = new ArrayList<>();
    transactions.add(base);
    if (!spec.packageList(target.id()).isEmpty()) {
      List<String> all = new ArrayList<>(base);
      all.addAll(spec.packageList(target.id()));
      transactions.add(all);
    }
    Path scratch = ctx.workDir().resolve("resolve");
    Files.createDirectories(scratch.resolve("root"));
    PackageSession session = new PackageSession(ctx.definition(), scratch.resolve("root"), ctx.repoCacheDir(),
        scratch.resolve("pkg"), ctx.aptSources(), ctx.sourceDateEpoch(), STAGE, ctx.log());
    ActionCache cache = new ActionCache(ctx.request().actionCacheDir());
    // keyed while the resolution's run waits: on a miss it fetches the base's package files (docs/adr/0058)
    Map<List<String>, String> keys = new HashMap<>();
    List<Exception> failures = new ArrayList<>();
    Optional<List<String>> resolved = ctx.driver().resolve(session, transactions, lines -> {
      try {
        String key = keyOf(ctx, target, drivers, definitionDigest, componentDigests, hostFiles, unsigned, lines);
        keys.put(lines, key);
        return !servable(cache, key, ctx.request().stageArchives());
      } catch (BuildFailure | IOException | RuntimeException e) {
        failures.add(e);
        return false;
      }
    });
    if (!failures.isEmpty()) {
      Exception failure = failures.get(0);
      if (failure instanceof BuildFailure b) {
        throw b;
      } else if (failure instanceof IOException io) {
        throw io;
      }
      throw (RuntimeException) failure;
    }
    if (resolved.isEmpty()) {
      ctx.log().line(STAGE, "action cache: not used, " + ctx.driver().engine()
          + " did not name the package files this build would install before installing them; the build runs");
      return Optional.empty();
    }
    String key = keys.containsKey(resolved.get()) ? keys.get(resolved.get())
        : keyOf(ctx, target, drivers, definitionDigest, componentDigests, hostFiles, unsigned, resolved.get());
    ctx.log().line(STAGE, String.format("action cache: key %s (%d package files resolved in %.1f s)", key,
        resolved.get().stream().filter(l -> !l.startsWith("transaction ")).count(),
        (System.nanoTime() - start) / 1e9));
    return Optional.of(new ActionCaching(ctx, key, resolved.get()));
  }

  /**
   * Whether {@code cache} holds an entry a build can be served from: any entry of {@code key}, and when the build
   * publishes stage archives, one that holds them (a build without them stores none, docs/adr/0062).
   */
  private static boolean servable(ActionCache cache, String key, boolean stageArchives) {
    if (!stageArchives) {
      return cache.holds(key);
    }
    return cache.entry(key)
        .map(e -> e.outputs().keySet().stream().anyMatch(n -> n.startsWith(StageContext.STAGE_ARCHIVES)))
        .orElse(false);
  }

  /** The key of a build that resolved to {@code resolved}. */
  private static String keyOf(StageContext ctx, Target target, PackageDrivers drivers, String definitionDigest,
      SortedMap<String, String> componentDigests, Map<String, String> hostFiles, List<String> unsigned,
      List<String> resolved) throws BuildFailure, IOException {
    return ActionKey.of(ActionKey.listing(ctx.definition(), definitionDigest, target.id(), ctx.sourceDateEpoch(),
        componentDigests, BuildEngine.builderVersion(),
        // after the resolution, which reports the package manager's version (docs/adr/0055)
        drivers.toolVersions(ctx.driver()), hostFiles, unsigned, resolved));
  }

  /** The result of this build served from the cache, its outputs published; empty when the build must run. */
  Optional<BuildResult> serve() throws IOException {
    Path out = ctx.request().outDir();
    if (ctx.request().stageArchives() && cache.holds(key) && !servable(cache, key, true)) {
      ctx.log().line(STAGE, "action cache: the entry of key " + key + " holds no stage archives, which this build"
          + " publishes; the build runs");
      return Optional.empty();
    }
    Files.createDirectories(out);
    Optional<ActionCache.Entry> entry = cache.serve(key, out, ctx.log());
    if (entry.isEmpty()) {
      ctx.log().line(STAGE, "action cache: no entry for key " + key + "; the build runs");
      return Optional.empty();
    }
    // in the order a build that runs publishes them: the ISO, then buildinfo.json and manifest.json
    List<ArtifactRecord> artifacts = new ArrayList<>();
    entry.get().outputs().forEach((name, output) -> {
      if (!name.startsWith(StageContext.STAGE_ARCHIVES)) {
        artifacts.add(new ArtifactRecord(name, output.sha256(), output.size()));
      }
    });
    artifacts.sort(java.util.Comparator.comparing((ArtifactRecord a) -> !a.name().endsWith(".iso"))
        .thenComparing(ArtifactRecord::name));
    List<StageRecord> stages = new ArrayList<>();
    JsonNode recorded = JSON.readTree(out.resolve(BuildInfo.FILE_NAME).toFile()).path("stages");
    recorded.fields().forEachRemaining(s -> stages.add(new StageRecord(s.getKey(), s.getValue().asText(), 0.0,
        Boolean.TRUE)));
    BuildEngine.removeStageArchivesNotPublished(out, stages.stream().map(StageRecord::name).toList(),
        List.copyOf(entry.get().outputs().keySet()));
    ctx.log().line(STAGE, "action cache: served the outputs of " + entry.get().builtBy() + " (made "
        + entry.get().builtAt() + "); no stage ran");
    return Optional.of(new BuildResult(BuildResult.SUCCEEDED, null, null, artifacts, stages,
        PackageCacheUse.servedFrom(entry.get().builtBy()), null, entry.get().builtBy()));
  }

  /**
   * Stores the outputs this build published under its key ({@code artifacts}, and the stage archives among
   * {@code published}, the names of every file it published), only when it installed what the key names
   * ({@link ResolutionCheck}, docs/adr/0054). A cache that cannot take them costs later builds time, not this
   * build: the reason is logged.
   */
  void store(List<ArtifactRecord> artifacts, List<String> published) {
    Path out = ctx.request().outDir();
    Optional<String> mismatch = ResolutionCheck.mismatch(ctx.driver(), resolved, ctx.lock());
    if (mismatch.isPresent()) {
      ctx.log().line(STAGE, "action cache: outputs not stored under key " + key + ": " + mismatch.get()
          + "; later builds with this key run");
      return;
    }
    try {
      List<String> names = new ArrayList<>(artifacts.stream().map(ArtifactRecord::name).toList());
      // as published: the engine moves its outputs out of the build directory (ADR 0047)
      published.stream().filter(n -> n.startsWith(StageContext.STAGE_ARCHIVES)).sorted().forEach(names::add);
      String builtBy = ctx.request().buildId() != null ? ctx.request().buildId()
          : "buildinfo:" + Sha256.of(out.resolve(BuildInfo.FILE_NAME));
      // the build hashed its outputs as it published them: they are linked into the store, not read again
      Map<String, String> known = new HashMap<>();
      artifacts.forEach(a -> known.put(a.name(), a.sha256()));
      cache.publish(key, out, names, known, builtBy);
      ctx.log().line(STAGE, "action cache: stored the outputs under key " + key + " as made by " + builtBy);
    } catch (IOException e) {
      ctx.log().line(STAGE, "action cache: outputs not stored, " + e.getMessage() + "; check "
          + ctx.request().actionCacheDir());
    }
  }
}
