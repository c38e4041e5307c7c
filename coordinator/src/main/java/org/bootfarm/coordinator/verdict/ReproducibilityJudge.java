package org.bootfarm.coordinator.verdict;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.provenance.ProvenanceWriter;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.Verdict.FileDifference;
import org.bootfarm.protocol.api.v1.Verdict.Outcome;
import org.bootfarm.protocol.api.v1.Verdict.SidePair;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.BuildMachine;
import org.bootfarm.protocol.build.Manifest;

/**
 * Judges whether two finished builds of the same inputs reproduced each other, reading their
 * buildinfo, manifest and ISO from the artifact store: REPRODUCIBLE when both succeeded and every
 * artifact hash is equal; FAILED, with the failing side's error, when a side did not succeed;
 * otherwise UNREPRODUCIBLE with the first stage (in run order) whose archive differs, the files of
 * the initramfs and the ISO that differ according to the manifests, a unified diff of each pair of
 * small text files (read out of the ISOs with xorriso), and diffoscope's report on the two ISOs
 * when diffoscope is installed. Both tools run in a sandbox that sees the two ISOs and a scratch
 * directory only ({@link ExternalTool}): the ISOs are made by a definition's hooks. A tool that is missing,
 * bubblewrap included, is named in the verdict's notes; nothing is installed, and nothing runs unsandboxed.
 *
 * <p>Thread-safe; a judgement of an unreproducible pair spawns xorriso twice and diffoscope once,
 * so call it off the event loop.
 */
public final class ReproducibilityJudge {

  /**
   * Settings of a judge.
   *
   * @param searchPath          where xorriso and diffoscope are looked for (normally this
   *                            process's PATH)
   * @param maxTextDiffBytes    files larger than this on either side get no unified diff
   * @param maxTextDiffs        at most this many files get a unified diff (the rest are listed
   *                            with their hashes only)
   * @param diffoscopeTimeout   diffoscope is killed after this long
   * @param diffoscopeMaxChars  diffoscope's report is cut after this many characters
   * @param scratchParent       where temporary directories for extracted files go
   */
  public record Options(List<Path> searchPath, long maxTextDiffBytes, int maxTextDiffs,
      Duration diffoscopeTimeout, int diffoscopeMaxChars, Path scratchParent) {

    public Options {
      searchPath = List.copyOf(searchPath);
      Objects.requireNonNull(diffoscopeTimeout, "diffoscopeTimeout");
      Objects.requireNonNull(scratchParent, "scratchParent");
    }

    /**
     * This process's PATH; diffs of text files up to 64 KiB, at most 100 of them; diffoscope
     * for at most 10 minutes and 1 MiB of report; scratch space in {@code java.io.tmpdir}.
     */
    public static Options defaults() {
      return new Options(ExternalTool.processSearchPath(), 64 * 1024, 100, Duration.ofMinutes(10),
          1 << 20, Path.of(System.getProperty("java.io.tmpdir")));
    }

    public Options withSearchPath(List<Path> value) {
      return new Options(value, maxTextDiffBytes, maxTextDiffs, diffoscopeTimeout, diffoscopeMaxChars,
          scratchParent);
    }

    public Options withScratchParent(Path value) {
      return new Options(searchPath, maxTextDiffBytes, maxTextDiffs, diffoscopeTimeout, diffoscopeMaxChars,
          value);
    }

    public Options withDiffoscope(Duration timeout, int maxChars) {
      return new Options(searchPath, maxTextDiffBytes, maxTextDiffs, timeout, maxChars, scratchParent);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final ArtifactStore store;
  private final Options options;

  public ReproducibilityJudge(ArtifactStore store, Options options) {
    this.store = Objects.requireNonNull(store, "store");
    this.options = Objects.requireNonNull(options, "options");
  }

  /**
   * The verdict on two finished builds.
   *
   * @throws IllegalArgumentException if a build has not finished yet (QUEUED or RUNNING)
   * @throws IOException if a succeeded build lacks its buildinfo or manifest in the store, or
   *     they cannot be read (the message names the build and the artifact)
   */
  public Verdict judge(BuildView left, BuildView right) throws IOException, InterruptedException {
    requireFinished(left, "left");
    requireFinished(right, "right");
    String failure = Stream.of(failure(left, "left"), failure(right, "right"))
        .filter(Objects::nonNull).collect(Collectors.joining("; "));
    List<SidePair> artifacts = artifactPairs(left, right);
    if (!failure.isEmpty()) {
      return new Verdict(Outcome.FAILED, left.id(), right.id(), left.repo(), left.target(), artifacts,
          List.of(), null, List.of(), null, List.of(), failure);
    }
    BuildInfo leftInfo = buildInfo(left);
    BuildInfo rightInfo = buildInfo(right);
    List<SidePair> stages = stagePairs(leftInfo, rightInfo);
    // the machines as each side recorded its own (ADR 0067): an UNREPRODUCIBLE pair's first suspects
    List<String> machines = BuildMachine.of(leftInfo).differences("left", BuildMachine.of(rightInfo), "right", "none");
    if (artifacts.stream().allMatch(SidePair::same)) {
      return new Verdict(Outcome.REPRODUCIBLE, left.id(), right.id(), left.repo(), left.target(), artifacts,
          stages, null, List.of(), null, List.of(), null, machines);
    }
    String firstDifferingStage = stages.stream().filter(s -> !s.same()).map(SidePair::name)
        .findFirst().orElse(null);
    List<Manifest.Difference> differences = manifest(left).diff(manifest(right));
    List<String> notes = new ArrayList<>();
    Path scratch = Files.createTempDirectory(Files.createDirectories(options.scratchParent()), "verdict-");
    try {
      Optional<Path> leftIso = iso(left, notes, "left");
      Optional<Path> rightIso = iso(right, notes, "right");
      List<FileDifference> files = files(differences, leftIso, rightIso, scratch, notes);
      String diffoscope = leftIso.isPresent() && rightIso.isPresent()
          ? diffoscope(leftIso.get(), rightIso.get(), scratch, notes) : null;
      return new Verdict(Outcome.UNREPRODUCIBLE, left.id(), right.id(), left.repo(), left.target(), artifacts,
          stages, firstDifferingStage, files, diffoscope, notes, null, machines);
    } finally {
      deleteTree(scratch);
    }
  }

  private static void requireFinished(BuildView build, String side) {
    if (build.state() == null || !build.state().isFinal()) {
      throw new IllegalArgumentException("the " + side + " build " + build.id() + " is " + build.state()
          + ", not finished: judge a pair only once both builds are SUCCEEDED, FAILED or CANCELLED");
    }
  }

  /** Why a side did not succeed, naming it; null when it succeeded. */
  private static String failure(BuildView build, String side) {
    if (build.state() == BuildState.SUCCEEDED) {
      return null;
    }
    String why = build.error() == null || build.error().isBlank() ? "no error recorded" : build.error();
    return side + " build " + build.id() + " " + build.state()
        + (build.errorKind() == null ? "" : " (" + build.errorKind() + ")") + ": " + why;
  }

  /** Every artifact name of either side, left's order first, with both hashes and sizes. */
  private static List<SidePair> artifactPairs(BuildView left, BuildView right) {
    Map<String, ArtifactRecord> l = byName(left.artifacts());
    Map<String, ArtifactRecord> r = byName(right.artifacts());
    Set<String> names = new LinkedHashSet<>(l.keySet());
    names.addAll(r.keySet());
    List<SidePair> pairs = new ArrayList<>();
    for (String name : names) {
      ArtifactRecord a = l.get(name);
      ArtifactRecord b = r.get(name);
      pairs.add(new SidePair(name, a == null ? null : a.sha256(), b == null ? null : b.sha256(),
          a == null ? null : a.size(), b == null ? null : b.size()));
    }
    return pairs;
  }

  private static Map<String, ArtifactRecord> byName(List<ArtifactRecord> artifacts) {
    Map<String, ArtifactRecord> map = new LinkedHashMap<>();
    // each build's signed provenance names its own build and times: not an output to compare (ADR 0044)
    artifacts.stream().filter(a -> !ProvenanceWriter.FILE_NAME.equals(a.name())).forEach(a -> map.put(a.name(), a));
    return map;
  }

  /** The left build's stages in run order, then any only the right one ran. */
  private static List<SidePair> stagePairs(BuildInfo left, BuildInfo right) {
    Map<String, String> l = left.stages() == null ? Map.of() : left.stages();
    Map<String, String> r = right.stages() == null ? Map.of() : right.stages();
    Set<String> names = new LinkedHashSet<>(l.keySet());
    names.addAll(r.keySet());
    return names.stream().map(n -> new SidePair(n, l.get(n), r.get(n), null, null)).toList();
  }

  private BuildInfo buildInfo(BuildView build) throws IOException {
    try (InputStream in = store.open(artifact(build, BuildInfo.FILE_NAME).sha256())) {
      return JSON.readValue(in, BuildInfo.class);
    } catch (IOException e) {
      throw new IOException("cannot read " + BuildInfo.FILE_NAME + " of build " + build.id() + ": "
          + e.getMessage(), e);
    }
  }

  private Manifest manifest(BuildView build) throws IOException {
    ArtifactRecord record = artifact(build, Manifest.FILE_NAME);
    try (InputStream in = store.open(record.sha256())) {
      return Manifest.readJson(in, Manifest.FILE_NAME + " of build " + build.id());
    }
  }

  private static ArtifactRecord artifact(BuildView build, String name) throws IOException {
    return build.artifacts().stream().filter(a -> a.name().equals(name)).findFirst()
        .orElseThrow(() -> new IOException("build " + build.id() + " SUCCEEDED but has no " + name
            + " among its artifacts " + build.artifacts().stream().map(ArtifactRecord::name).toList()
            + "; only builds by a bootfarm worker can be judged"));
  }

  /** The build's ISO in the store, or empty with a note saying why there is none. */
  private Optional<Path> iso(BuildView build, List<String> notes, String side) throws IOException {
    Optional<ArtifactRecord> iso = build.artifacts().stream().filter(a -> a.name().endsWith(".iso")).findFirst();
    if (iso.isEmpty()) {
      notes.add("The " + side + " build " + build.id() + " has no .iso artifact: no diffs of file contents.");
      return Optional.empty();
    }
    return Optional.of(store.file(iso.get().sha256()));
  }

  /** The differing files of the manifests, with unified diffs for pairs of small text files. */
  private List<FileDifference> files(List<Manifest.Difference> differences, Optional<Path> leftIso,
      Optional<Path> rightIso, Path scratch, List<String> notes) throws IOException, InterruptedException {
    List<Manifest.Difference> diffable = differences.stream().filter(this::diffable).toList();
    if (diffable.size() > options.maxTextDiffs()) {
      notes.add(diffable.size() + " differing small files could be diffed; only the first "
          + options.maxTextDiffs() + " are.");
      diffable = diffable.subList(0, options.maxTextDiffs());
    }
    Map<String, String> diffs = new LinkedHashMap<>();
    if (!diffable.isEmpty() && leftIso.isPresent() && rightIso.isPresent()) {
      Optional<ExternalTool> xorriso = ExternalTool.find("xorriso", options.searchPath());
      if (xorriso.isEmpty()) {
        notes.add("xorriso is not installed on the coordinator (Debian package xorriso), so the files"
            + " could not be read out of the ISOs: no unified diffs of text files.");
      } else if (ExternalTool.sandboxProgram().isEmpty()) {
        notes.add(ExternalTool.noSandboxNote("the files could not be read out of the ISOs, no unified diffs of"
            + " text files"));
      } else {
        IsoContents contents = new IsoContents(xorriso.get());
        Set<String> isoPaths = paths(diffable, "iso");
        Set<String> initramfsPaths = paths(diffable, "initramfs");
        IsoContents.Extracted a;
        IsoContents.Extracted b;
        try {
          a = contents.read(leftIso.get(), isoPaths, initramfsPaths, options.maxTextDiffBytes(),
              Files.createDirectory(scratch.resolve("left")));
          b = contents.read(rightIso.get(), isoPaths, initramfsPaths, options.maxTextDiffBytes(),
              Files.createDirectory(scratch.resolve("right")));
        } catch (IOException e) {
          // the manifests still name every differing file; only the diffs are lost
          notes.add("The files could not be read out of the ISOs, so there are no unified diffs of text files: "
              + e.getMessage());
          a = new IsoContents.Extracted(Map.of(), Map.of());
          b = a;
        }
        for (Manifest.Difference d : diffable) {
          Map<String, byte[]> l = d.image().equals("iso") ? a.iso() : a.initramfs();
          Map<String, byte[]> r = d.image().equals("iso") ? b.iso() : b.initramfs();
          // only the bytes the manifests name (a hard link's earlier cpio entries carry no data)
          if (matches(l.get(d.path()), d.leftSha256()) && matches(r.get(d.path()), d.rightSha256())) {
            TextDiff.unified(d.path(), l.get(d.path()), r.get(d.path()))
                .ifPresent(diff -> diffs.put(key(d.image(), d.path()), diff));
          }
        }
      }
    }
    return differences.stream().map(d -> new FileDifference(d.image(), d.path(), d.what(), d.leftSize(),
        d.leftSha256(), d.rightSize(), d.rightSha256(), diffs.get(key(d.image(), d.path())))).toList();
  }

  private static boolean matches(byte[] content, String sha256) {
    return content != null && Sha256.of(content).equals(sha256);
  }

  /** A regular file on both sides, of different content, small enough to diff. */
  private boolean diffable(Manifest.Difference d) {
    return d.left() != null && d.right() != null
        && "file".equals(d.left().type()) && "file".equals(d.right().type())
        && !Objects.equals(d.leftSha256(), d.rightSha256())
        && d.left().size() <= options.maxTextDiffBytes() && d.right().size() <= options.maxTextDiffBytes()
        && (d.image().equals("initramfs") || d.image().equals("iso"));
  }

  private static Set<String> paths(List<Manifest.Difference> differences, String image) {
    return differences.stream().filter(d -> d.image().equals(image)).map(Manifest.Difference::path)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static String key(String image, String path) {
    return image + "\0" + path;
  }

  /** diffoscope's text report on the two ISOs, or null with a note saying why there is none. */
  private String diffoscope(Path leftIso, Path rightIso, Path scratch, List<String> notes)
      throws IOException, InterruptedException {
    Optional<ExternalTool> diffoscope = ExternalTool.find("diffoscope", options.searchPath());
    if (diffoscope.isEmpty()) {
      notes.add("diffoscope is not installed on the coordinator (Debian package diffoscope): no diffoscope"
          + " report.");
      return null;
    }
    if (ExternalTool.sandboxProgram().isEmpty()) {
      notes.add(ExternalTool.noSandboxNote("no diffoscope report"));
      return null;
    }
    Path home = Files.createDirectory(scratch.resolve("diffoscope-home"));
    String path = options.searchPath().stream().map(Path::toString).collect(Collectors.joining(":"));
    ExternalTool.Run run = diffoscope.get().run(
        List.of("--text", "-", "--no-progress", leftIso.toString(), rightIso.toString()), List.of(leftIso, rightIso),
        Map.of("PATH", path, "LC_ALL", "C.UTF-8", "TZ", "UTC", "HOME", home.toString(),
            "TMPDIR", home.toString()),
        scratch, options.diffoscopeTimeout(), options.diffoscopeMaxChars());
    if (run.sandboxRefused()) {
      notes.add(run.sandboxRefusedNote("no diffoscope report"));
      return null;
    }
    if (run.timedOut()) {
      notes.add("diffoscope did not finish within " + options.diffoscopeTimeout().toSeconds()
          + " s and was stopped; its report is what it wrote until then.");
    } else if (run.exitCode() > 1) {
      notes.add("diffoscope failed (exit " + run.exitCode() + "): " + run.stderrTail());
    }
    if (run.truncated()) {
      notes.add("diffoscope's report was cut at " + options.diffoscopeMaxChars() + " characters.");
    }
    return run.stdout().isEmpty() ? null : run.stdout();
  }

  /** Deletes a scratch directory, making read-only directories xorriso restored writable first. */
  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> walk = Files.walk(root)) {
      all = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : all) {
      if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        p.toFile().setWritable(true, true);
      }
    }
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }
}
