package org.bootfarm.worker.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.testkit.Tripwire;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.build.BuildRequest;
import org.bootfarm.worker.build.EngineProcess;
import org.bootfarm.worker.pkg.AptDriver;
import org.bootfarm.worker.pkg.AptSourcesFile;
import org.bootfarm.worker.pkg.PinnedInputs;

/**
 * The second build of a debian-12 boot test's reproducibility pair: a rebuild from the first build's record
 * alone, in a child JVM under another build path, TZ, umask, hostname and CPU count. It installs the package
 * files the first build installed, copied as {@code <sha256>.deb}, at the first build's SOURCE_DATE_EPOCH,
 * with the apt sources pointed at a {@link Tripwire} on 127.0.0.1 and an empty package cache; the checks
 * here say that it came out bit-identical without reaching a mirror.
 */
final class RebuildFromRecord {
  /** Where the rebuild publishes, under the test's work directory. */
  static final String OUT = "elsewhere/deeper/out";
  private static final List<String> VARIED_WRAPPER = List.of("unshare", "--uts", "/bin/sh", "-c",
      "hostname bootfarm-varied-host && umask 077 && exec taskset -c 0 \"$@\"", "sh");
  private static final Map<String, String> VARIED_ENVIRONMENT = Map.of("TZ", "Pacific/Kiritimati");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path work;
  private final Path firstOut;
  private final EngineProcess.Run first;
  private final BuildInfo info;
  private final EngineProcess.Run rebuild;
  private final int tripwireConnections;
  private final Path archives;

  private RebuildFromRecord(Path work, Path firstOut, EngineProcess.Run first, BuildInfo info,
      EngineProcess.Run rebuild, int tripwireConnections, Path archives) {
    this.work = work;
    this.firstOut = firstOut;
    this.first = first;
    this.info = info;
    this.rebuild = rebuild;
    this.tripwireConnections = tripwireConnections;
    this.archives = archives;
  }

  /**
   * Rebuilds what {@code first} built into {@code work/firstOutName} (the same definition, target and
   * components) from its buildinfo.json and input files, into {@code work/}{@value #OUT}.
   */
  static RebuildFromRecord of(Path work, String firstOutName, EngineProcess.Run first, Path definition,
      String target, Map<String, Path> components) throws IOException, InterruptedException {
    Path firstOut = work.resolve(firstOutName);
    BuildInfo info = JSON.readValue(firstOut.resolve("buildinfo.json").toFile(), BuildInfo.class);
    for (String leftover : List.of("elsewhere", "rebuild-inputs", "empty-cache")) {
      FileTrees.deleteQuietly(work.resolve(leftover));
    }
    Path inputs = Files.createDirectories(work.resolve("rebuild-inputs"));
    for (Map.Entry<String, String> e : first.result().inputFiles().entrySet()) {
      Files.copy(Path.of(e.getValue()), inputs.resolve(e.getKey() + ".deb"));
    }
    Path emptyCache = Files.createDirectories(work.resolve("empty-cache"));
    try (Tripwire tripwire = Tripwire.onFreePort()) {
      Path sources = Files.writeString(work.resolve("tripwire.sources"), "Types: deb\nURIs: http://127.0.0.1:"
          + tripwire.port() + "/debian\nSuites: bookworm\nComponents: main\n");
      BuildRequest request = new BuildRequest(definition, target, components, work.resolve(OUT), emptyCache,
          Files.createDirectories(work.resolve("keys")), false, Optional.of(sources), OptionalLong.empty(), false,
          work.resolve("elsewhere/deeper/builds"))
          .pinnedTo(new PinnedInputs(inputs, info.lock().packages()), info.sourceDateEpoch());
      long start = System.nanoTime();
      EngineProcess.Run rebuild = EngineProcess.build(VARIED_WRAPPER, VARIED_ENVIRONMENT, request);
      System.out.printf("bootfarm rebuilt %s %s from %d archived package files in %.1f s: %s%n",
          definition.getFileName(), target, info.lock().packages().size(), (System.nanoTime() - start) / 1e9,
          rebuild.result().stages());
      if (rebuild.exitCode() != 0) {
        throw new AssertionError("the rebuild from the record failed: " + rebuild.result().error() + "\n"
            + rebuild.log());
      }
      return new RebuildFromRecord(work, firstOut, first, info, rebuild, tripwire.connections(),
          emptyCache.resolve("repos").resolve(definition.getFileName().toString()).resolve("apt/archives"));
    }
  }

  /** The rebuild's run. */
  EngineProcess.Run run() {
    return rebuild;
  }

  /**
   * Every locked package has an origin: a suite/component repository and a .deb URL under the worker's apt
   * sources; and the first build reported a file for each.
   */
  void assertLockRecordsWhereEachPackageCameFrom() throws Exception {
    List<String> uris = AptSourcesFile.read(AptDriver.defaultSources()).uris();
    for (LockedPackage p : info.lock().packages()) {
      assertNotNull(p.origin(), () -> p.describe() + " was locked without an origin");
      assertTrue(p.origin().repository().matches("[a-z0-9.-]+/[a-z0-9-]+"),
          () -> p.describe() + ": repository " + p.origin().repository() + " is not suite/component");
      assertTrue(uris.stream().anyMatch(p.origin().url()::startsWith) && p.origin().url().endsWith(".deb"),
          () -> p.describe() + ": url " + p.origin().url() + " is not a package file of " + uris);
    }
    assertEquals(info.lock().packages().size(), first.result().inputFiles().size(),
        "every locked package has its file");
  }

  /** ISO, buildinfo.json and every stage hash are the first build's, bit for bit. */
  void assertBitIdentical() throws IOException {
    assertEquals(iso(first), iso(rebuild), "the rebuilt ISO differs from the original");
    assertEquals(Files.readString(firstOut.resolve("buildinfo.json")),
        Files.readString(work.resolve(OUT).resolve("buildinfo.json")), "the rebuild's buildinfo differs");
    assertEquals(first.result().stages().stream().map(s -> s.name() + " " + s.sha256()).toList(),
        rebuild.result().stages().stream().map(s -> s.name() + " " + s.sha256()).toList());
    assertEquals(first.result().artifacts(), rebuild.result().artifacts());
  }

  /**
   * The rebuild installed from its pinned inputs, downloaded nothing, connected to none of the apt sources it
   * was given, and left no package file in its (empty) package cache.
   */
  void assertInstalledFromThePinnedInputsAlone() throws IOException {
    assertTrue(rebuild.log().contains("installed from the pinned inputs, none downloaded"),
        () -> "the rebuild did not install from its pinned inputs:\n" + rebuild.log());
    assertEquals(0, rebuild.result().packageCache().downloaded(), "the rebuild downloaded package files");
    assertEquals(0, rebuild.downloaded(), "the rebuild's log counts downloaded package files");
    assertEquals(0, tripwireConnections, "the rebuild connected to the apt sources it was given");
    assertFalse(Files.isDirectory(archives) && hasFiles(archives), "the rebuild put package files into " + archives);
  }

  private static ArtifactRecord iso(EngineProcess.Run run) {
    return run.result().artifacts().stream().filter(a -> a.name().endsWith(".iso")).findFirst()
        .orElseThrow(() -> new AssertionError("no ISO among " + run.result().artifacts()));
  }

  private static boolean hasFiles(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.findAny().isPresent();
    }
  }
}
