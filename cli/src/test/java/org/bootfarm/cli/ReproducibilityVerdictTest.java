package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.verdict.ReproducibilityJudge;
import org.bootfarm.coordinator.verdict.VerdictPage;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.api.v1.Verdict.FileDifference;
import org.bootfarm.protocol.api.v1.Verdict.Outcome;
import org.bootfarm.protocol.api.v1.Verdict.SidePair;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproducibility verdict on real fixture builds ({@code bootfarm build} against the fixture
 * yum repository), their artifacts put into a real artifact store: the same definition built
 * twice is REPRODUCIBLE; a base hook that writes random bytes and the current time makes the pair
 * UNREPRODUCIBLE in the {@code base} stage, naming both files with a unified diff of the text one;
 * a failed side makes it FAILED with that side's error. Each side's signed provenance, which names its own build,
 * is no output to compare.
 */
@Tag("tool")
class ReproducibilityVerdictTest {
  @TempDir static Path shared;
  static FixtureYumRepo repo;
  static Map<String, Path> components;
  static Path keys;
  static ArtifactStore store;
  static ReproducibilityJudge judge;
  static BuildView reference;

  @BeforeAll
  static void start() throws Exception {
    repo = FixtureYumRepo.start();
    components = FixtureBuilds.components(shared.resolve("components"));
    keys = Files.createDirectories(shared.resolve("no-keys"));
    store = ArtifactStore.openAt(shared.resolve("store"), ArtifactStore.Options.defaults());
    judge = new ReproducibilityJudge(store,
        ReproducibilityJudge.Options.defaults().withScratchParent(shared.resolve("scratch")));
  }

  @AfterAll
  static void stop() throws Exception {
    store.close();
    repo.close();
  }

  @Test
  void sameDefinitionBuiltTwiceIsReproducible(@TempDir Path dir) throws Exception {
    Path definition = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF, repo);
    BuildView left = reference();
    BuildView right = build("right", definition, dir.resolve("right"));

    Verdict verdict = judge.judge(left, right);

    assertEquals(Outcome.REPRODUCIBLE, verdict.outcome(), () -> WireJson.write(verdict));
    assertEquals(3, verdict.artifacts().size(), "ISO, buildinfo and manifest; not each side's own provenance");
    verdict.artifacts().forEach(a -> assertTrue(a.same(), a::toString));
    assertEquals(List.of("base", "staging-bootstrap", "assemble"),
        verdict.stages().stream().map(SidePair::name).toList());
    verdict.stages().forEach(s -> assertTrue(s.same(), s::toString));
    assertNull(verdict.firstDifferingStage());
    assertEquals(List.of(), verdict.files());
    assertNull(verdict.error());
    assertEquals(List.of(), verdict.machineDifferences(), "both sides built on this machine");
    assertEquals(verdict, WireJson.read(WireJson.write(verdict), Verdict.class), "the verdict survives the wire");
    assertTrue(VerdictPage.render(verdict).contains("REPRODUCIBLE"));
  }

  @Test
  void baseHookWritingNoiseAndTimeIsUnreproducibleInBase(@TempDir Path dir) throws Exception {
    BuildView left = noisyPair()[0];
    BuildView right = noisyPair()[1];

    Verdict verdict = judge.judge(left, right);

    assertEquals(Outcome.UNREPRODUCIBLE, verdict.outcome(), () -> WireJson.write(verdict));
    assertEquals("base", verdict.firstDifferingStage(), () -> verdict.stages().toString());
    SidePair iso = verdict.artifacts().stream().filter(a -> a.name().endsWith(".iso")).findFirst().orElseThrow();
    assertNotEquals(iso.leftSha256(), iso.rightSha256());
    assertEquals(left.artifacts().stream().filter(a -> a.name().endsWith(".iso")).findFirst().orElseThrow().sha256(),
        iso.leftSha256());

    FileDifference noise = file(verdict, "initramfs", "etc/noise");
    assertEquals(16L, noise.leftSize());
    assertEquals(16L, noise.rightSize());
    assertNotEquals(noise.leftSha256(), noise.rightSha256());
    assertEquals(64, noise.leftSha256().length());

    FileDifference builtAt = file(verdict, "initramfs", "etc/built-at");
    assertEquals("sha256", builtAt.what());
    assertEquals(20L, builtAt.leftSize(), "19 digits of nanoseconds since 1970 and a newline");
    assertEquals(20L, builtAt.rightSize());
    assertNotNull(builtAt.diff(), () -> "no diff; notes: " + verdict.notes());
    List<String> lines = builtAt.diff().lines().toList();
    assertEquals(List.of("--- left/etc/built-at", "+++ right/etc/built-at", "@@ -1,1 +1,1 @@"),
        lines.subList(0, 3), builtAt.diff());
    assertEquals(5, lines.size(), builtAt.diff());
    String leftTime = lines.get(3);
    String rightTime = lines.get(4);
    assertTrue(leftTime.matches("-\\d{19}") && rightTime.matches("\\+\\d{19}"), builtAt.diff());
    assertEquals(builtAt.leftSha256(), sha256(leftTime.substring(1) + "\n"), "the diff shows the left file");
    assertEquals(builtAt.rightSha256(), sha256(rightTime.substring(1) + "\n"), "the diff shows the right file");
    assertTrue(Long.parseLong(leftTime.substring(1)) < Long.parseLong(rightTime.substring(1)),
        "the left build ran first");

    assertTrue(file(verdict, "iso", "boot/core.gz").what().contains("sha256"), "the initramfs in the ISO differs");
    if (System.getProperty("bootfarm.verdict.dump") != null) {
      Files.writeString(Path.of(System.getProperty("bootfarm.verdict.dump") + ".json"), WireJson.write(verdict));
      Files.writeString(Path.of(System.getProperty("bootfarm.verdict.dump") + ".html"), VerdictPage.render(verdict));
    }
    assertTrue(verdict.files().stream().allMatch(f -> f.image().equals("initramfs") || f.image().equals("iso")));
    assertEquals(3, verdict.files().size(), () -> "only the two noisy files and the initramfs holding them: "
        + verdict.files());
    boolean diffoscopeInstalled = ReproducibilityJudge.Options.defaults().searchPath().stream()
        .anyMatch(d -> Files.isExecutable(d.resolve("diffoscope")));
    if (diffoscopeInstalled) {
      assertNotNull(verdict.diffoscope(), () -> "diffoscope is installed but gave no report: " + verdict.notes());
    } else {
      assertNull(verdict.diffoscope());
      assertTrue(verdict.notes().stream().anyMatch(n -> n.startsWith("diffoscope is not installed")),
          verdict.notes()::toString);
    }

    String page = VerdictPage.render(verdict);
    assertTrue(page.contains("UNREPRODUCIBLE"));
    assertTrue(page.contains("First differing stage: <strong>base</strong>"), page);
    assertTrue(page.contains("<td>etc/built-at</td>") && page.contains("<td>etc/noise</td>"), page);
    assertTrue(page.contains("<pre>--- left/etc/built-at\n+++ right/etc/built-at\n"), page);
    Path html = Files.writeString(dir.resolve("verdict.html"), page);
    String rendered = HeadlessChromium.dumpDom(html.toUri().toString());
    assertTrue(rendered.contains("<td>etc/built-at</td>") && rendered.contains("<td>etc/noise</td>"),
        "headless Chromium shows both files' rows:\n" + rendered);

    ReproducibilityJudge withoutTools = new ReproducibilityJudge(store, ReproducibilityJudge.Options.defaults()
        .withScratchParent(shared.resolve("scratch"))
        .withSearchPath(List.of(Files.createDirectories(dir.resolve("empty-path")))));
    Verdict bare = withoutTools.judge(left, right);
    assertEquals(Outcome.UNREPRODUCIBLE, bare.outcome());
    assertEquals(verdict.files().stream().map(FileDifference::path).toList(),
        bare.files().stream().map(FileDifference::path).toList(), "the manifests alone name the same files");
    assertTrue(bare.files().stream().allMatch(f -> f.diff() == null));
    assertTrue(bare.notes().stream().anyMatch(n -> n.startsWith("xorriso is not installed")), bare.notes()::toString);
    assertTrue(bare.notes().stream().anyMatch(n -> n.startsWith("diffoscope is not installed")), bare.notes()::toString);
  }

  @Test
  void failedSideIsFailedWithItsError(@TempDir Path dir) throws Exception {
    Path unreachable = FixtureDefinitions.write(dir.resolve("defs"), FixtureDefinitions.TDNF,
        FixtureYumRepo.unreachableUrl());
    BuildView failed = build("broken", unreachable, dir.resolve("broken"));
    assertEquals(BuildState.FAILED, failed.state());
    assertNotNull(failed.error());

    Verdict verdict = judge.judge(reference(), failed);

    assertEquals(Outcome.FAILED, verdict.outcome());
    assertTrue(verdict.error().startsWith("right build broken FAILED"), verdict.error());
    assertTrue(verdict.error().endsWith(failed.error()), verdict.error());
    assertNull(verdict.firstDifferingStage());
    assertEquals(List.of(), verdict.files());
    assertTrue(verdict.artifacts().stream().allMatch(a -> a.leftSha256() != null && a.rightSha256() == null),
        verdict.artifacts()::toString);
    assertTrue(judge.judge(failed, reference()).error().startsWith("left build broken FAILED"));

    BuildView running = new BuildView("still-running", failed.repo(), failed.target(), Map.of(), Priority.NIGHTLY,
        BuildState.RUNNING, null, 0, null, List.of(), null, null, null, null, null, null, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> judge.judge(reference(), running));
    assertTrue(e.getMessage().contains("still-running is RUNNING"), e.getMessage());
  }

  /**
   * A side that recorded another machine (here its buildinfo names another xorriso) is named in the verdict: the
   * first suspect of an unreproducible pair, and what a reproducible one was reproduced across.
   */
  @Test
  void theSidesMachineDifferencesAreNamed() throws Exception {
    BuildView left = reference();
    ArtifactRecord info = left.artifacts().stream().filter(a -> a.name().equals("buildinfo.json")).findFirst()
        .orElseThrow();
    com.fasterxml.jackson.databind.node.ObjectNode edited = (com.fasterxml.jackson.databind.node.ObjectNode)
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(store.file(info.sha256()).toFile());
    String xorriso = edited.get("tools").get("xorriso").asText();
    ((com.fasterxml.jackson.databind.node.ObjectNode) edited.get("tools")).put("xorriso", "xorriso 0.0.1-1");
    byte[] bytes = edited.toString().getBytes(StandardCharsets.UTF_8);
    store.put(Sha256.of(bytes), new java.io.ByteArrayInputStream(bytes));
    List<ArtifactRecord> artifacts = left.artifacts().stream().map(a -> a == info
        ? new ArtifactRecord(a.name(), Sha256.of(bytes), bytes.length) : a).toList();
    BuildView right = new BuildView("other-machine", left.repo(), left.target(), Map.of(), Priority.NIGHTLY,
        BuildState.SUCCEEDED, "worker-other", 0, null, artifacts, null, null, null, null, null, null, false);

    Verdict verdict = judge.judge(left, right);

    assertEquals(Outcome.UNREPRODUCIBLE, verdict.outcome(), "the buildinfos differ");
    assertEquals(List.of("tool xorriso: left " + xorriso + ", right xorriso 0.0.1-1"), verdict.machineDifferences());
    assertTrue(VerdictPage.render(verdict).contains("<li>tool xorriso: left " + xorriso + ", right xorriso 0.0.1-1</li>"));
    assertEquals(verdict, WireJson.read(WireJson.write(verdict), Verdict.class), "the verdict survives the wire");
  }

  /**
   * The ISOs are a definition's work: a verdict tool whose parser one of them took over runs as the ISO's author
   * wants. Stand-ins for xorriso and diffoscope try what such a tool would: read the coordinator's secrets and the
   * store's other objects, plant files, hand the judge links to host files and a FIFO where extracted files belong.
   * The judge still gives the verdict the manifests support, reads nothing of the host through the tools, and
   * nothing outside the tools' scratch directory changes.
   */
  @Test
  void hostileVerdictToolsReachNothingOfTheCoordinator(@TempDir Path dir) throws Exception {
    BuildView left = noisyPair()[0];
    BuildView right = noisyPair()[1];
    Path secret = Files.writeString(shared.resolve("coordinator-secret.txt"), "s3cret-admin-token\n");
    Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    String buildinfo = left.artifacts().stream().filter(a -> a.name().equals("buildinfo.json")).findFirst()
        .orElseThrow().sha256();
    Path otherObject = store.file(buildinfo);
    Path planted = shared.resolve("store").resolve("planted");
    Path tools = Files.createDirectories(dir.resolve("hostile-tools"));
    hostileTool(tools, "xorriso", String.join("\n",
        "cat " + secret + " " + otherObject + " >&2",
        "echo planted > " + planted + " 2>/dev/null",
        // every file the judge asked for becomes a link to the secret, the initramfs a FIFO
        "while [ $# -gt 0 ]; do",
        "  if [ \"$1\" = -extract ]; then",
        "    case \"$3\" in *core.gz) mkfifo \"$3\" ;; *) ln -s " + secret + " \"$3\" ;; esac; shift 2",
        "  fi; shift",
        "done"));
    hostileTool(tools, "diffoscope", String.join("\n",
        "echo 'hostile report'",
        "cat " + secret + " 2>&1",
        "cat " + otherObject + " 2>&1",
        "ls -a \"$(dirname \"$4\")\" " + shared + " 2>&1",
        "echo planted > " + planted + " 2>&1",
        "ln -s " + secret + " \"$HOME/report-link\"",
        "exit 1"));
    ReproducibilityJudge hostile = new ReproducibilityJudge(store, ReproducibilityJudge.Options.defaults()
        .withScratchParent(shared.resolve("scratch")).withSearchPath(List.of(tools)));

    Verdict verdict = hostile.judge(left, right);

    assertEquals(Outcome.UNREPRODUCIBLE, verdict.outcome(), () -> WireJson.write(verdict));
    assertEquals(judge.judge(left, right).files().stream().map(FileDifference::path).toList(),
        verdict.files().stream().map(FileDifference::path).toList(), "the manifests name the same files");
    assertTrue(verdict.files().stream().allMatch(f -> f.diff() == null), "no diff came from a link or a FIFO");
    assertNotNull(verdict.diffoscope(), () -> "the hostile diffoscope's report: " + verdict.notes());
    assertTrue(verdict.diffoscope().startsWith("hostile report"), verdict.diffoscope());
    String everything = WireJson.write(verdict);
    assertFalse(everything.contains("s3cret"), () -> "the secret reached the verdict: " + everything);
    assertFalse(everything.contains("\"builder\""), () -> "another store object reached the verdict: " + everything);
    assertFalse(everything.contains("coordinator-secret.txt\\n"), () -> "the tool listed the coordinator's files: "
        + everything);
    assertFalse(Files.exists(planted), "a hostile tool planted a file in the store");
    assertEquals("s3cret-admin-token\n", Files.readString(secret));
    try (java.util.stream.Stream<Path> left0 = Files.list(shared.resolve("scratch"))) {
      assertEquals(List.of(), left0.toList(), "the judge leaves no scratch behind");
    }
  }

  private static void hostileTool(Path dir, String name, String script) throws Exception {
    Path tool = Files.writeString(dir.resolve(name), "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(tool, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static BuildView[] noisyPair;

  /** Two builds of a definition whose base hook writes random bytes and the time (built once). */
  private static BuildView[] noisyPair() throws Exception {
    if (noisyPair == null) {
      Path definition = FixtureDefinitions.write(shared.resolve("noisy-defs"), FixtureDefinitions.TDNF, repo);
      Files.writeString(definition.resolve("base.sh"), String.join("\n",
          "mkdir -p \"$(rootfs_dir \"$PKGDIR\")/etc\"",
          "head -c 16 /dev/urandom > \"$(rootfs_dir \"$PKGDIR\")/etc/noise\"",
          "date +%s%N > \"$(rootfs_dir \"$PKGDIR\")/etc/built-at\"",
          ""), StandardOpenOption.APPEND);
      noisyPair = new BuildView[] {build("noisy-left", definition, shared.resolve("noisy-left")),
          build("noisy-right", definition, shared.resolve("noisy-right"))};
    }
    return noisyPair;
  }

  /** The fixture-tdnf build the reproducible and the failed pairs compare against (built once). */
  private static BuildView reference() throws Exception {
    if (reference == null) {
      Path definition = FixtureDefinitions.write(shared.resolve("reference-defs"), FixtureDefinitions.TDNF, repo);
      reference = build("reference", definition, shared.resolve("reference"));
      assertEquals(BuildState.SUCCEEDED, reference.state(), reference::error);
    }
    return reference;
  }

  /**
   * Runs {@code bootfarm build --json} of a definition into {@code dir/out} with its own package
   * cache, puts its artifacts into the store and returns the build as the coordinator records it.
   */
  private static BuildView build(String id, Path definition, Path dir) throws Exception {
    Path out = dir.resolve("out");
    CliRun run = CliRun.inProcess(FixtureBuilds.buildArgs(definition, components, out, dir.resolve("cache"), keys)
        .toArray(String[]::new));
    JsonNode result = run.json();
    BuildState state = BuildState.valueOf(result.get("status").asText());
    assertEquals(state == BuildState.SUCCEEDED, run.exitCode == 0, run::toString);
    List<ArtifactRecord> artifacts = new ArrayList<>();
    for (JsonNode a : result.path("artifacts")) {
      ArtifactRecord record = new ArtifactRecord(a.get("name").asText(), a.get("sha256").asText(),
          a.get("size").asLong());
      try (InputStream in = Files.newInputStream(out.resolve(record.name()))) {
        store.put(record.sha256(), in);
      }
      artifacts.add(record);
    }
    if (state == BuildState.SUCCEEDED) { // as on a farm: a signed provenance naming this build, never compared
      byte[] provenance = ("{\"payload\":\"build " + id + "\"}\n").getBytes(StandardCharsets.UTF_8);
      store.put(Sha256.of(provenance), new java.io.ByteArrayInputStream(provenance));
      artifacts.add(new ArtifactRecord("provenance.intoto.jsonl", Sha256.of(provenance), provenance.length));
    }
    return new BuildView(id, definition.getFileName().toString(), "bootstrap", Map.of(), Priority.NIGHTLY, state,
        "worker-" + id, 0, null, artifacts, Optional.ofNullable(result.get("error")).map(JsonNode::asText).orElse(null),
        Optional.ofNullable(result.get("errorKind")).map(JsonNode::asText).orElse(null), null, null, null, null, false);
  }

  private static FileDifference file(Verdict verdict, String image, String path) {
    return verdict.files().stream().filter(f -> f.image().equals(image) && f.path().equals(path)).findFirst()
        .orElseThrow(() -> new AssertionError("no differing file " + image + ":" + path + " in " + verdict.files()));
  }

  private static String sha256(String text) {
    return Sha256.of(text.getBytes(StandardCharsets.UTF_8));
  }
}
