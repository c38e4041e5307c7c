package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flat repository a rebuild installs from, made of .deb files built here with dpkg-deb and read by the
 * host's real apt-get (offline, with a private state): apt resolves and fetches exactly the pinned files and
 * refuses one whose bytes are not the recorded ones.
 */
@Tag("tool")
class PinnedAptRepositoryTest {
  private static final long EPOCH = 1_700_000_000L;

  @TempDir Path tmp;

  @Test
  void indexListsEachPinnedFileUnderItsRecordedSha256() throws Exception {
    PinnedInputs pinned = pinned(deb("bootfarm-a", "1.0", "", "a", "-Zxz"), deb("bootfarm-b", "2:2.0-1", "bootfarm-a",
        "b", "-Zgzip"));
    PinnedAptRepository repo = PinnedAptRepository.write(pinned, Files.createDirectories(tmp.resolve("work")), EPOCH);

    String packages = Files.readString(repo.directory().resolve("Packages"));
    for (LockedPackage p : pinned.packages()) {
      String stanza = List.of(packages.split("\n\n")).stream().filter(s -> s.startsWith("Package: " + p.name() + "\n"))
          .findFirst().orElseThrow(() -> new AssertionError("no stanza of " + p.name() + " in\n" + packages));
      assertTrue(stanza.contains("\nVersion: " + p.version() + "\n"), stanza);
      assertTrue(stanza.contains("\nFilename: ./" + p.sha256() + ".deb\nSize: "
          + Files.size(pinned.file(p, ".deb")) + "\nSHA256: " + p.sha256()), stanza);
    }
    assertTrue(packages.contains("\nDepends: bootfarm-a\n"), "the control stanza is repeated: " + packages);
    String release = Files.readString(repo.directory().resolve("Release"));
    assertTrue(release.contains("Suite: " + PinnedAptRepository.SUITE + "\n"), release);
    assertTrue(release.contains("Date: Tue, 14 Nov 2023 22:13:20 UTC\n"), "dated at SOURCE_DATE_EPOCH: " + release);
    assertTrue(release.contains(" " + Sha256.of(repo.directory().resolve("Packages")) + " "), release);
    assertEquals("deb [trusted=yes] copy:" + repo.directory() + "/ ./\n", Files.readString(repo.sources().file()));
    assertEquals(PinnedAptRepository.SUITE, repo.sources().suite());
  }

  @Test
  void aptFetchesExactlyThePinnedFiles() throws Exception {
    PinnedInputs pinned = pinned(deb("bootfarm-a", "1.0", "", "a", "-Zxz"), deb("bootfarm-b", "2.0", "bootfarm-a",
        "b", "-Zxz"));
    PinnedAptRepository repo = PinnedAptRepository.write(pinned, Files.createDirectories(tmp.resolve("work")), EPOCH);

    Path archives = apt(repo, "bootfarm-b");

    List<String> fetched = new ArrayList<>();
    try (Stream<Path> files = Files.list(archives)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".deb")).sorted().toList()) {
        fetched.add(f.getFileName() + " " + Sha256.of(f));
      }
    }
    assertEquals(List.of("bootfarm-a_1.0_all.deb " + pinned.packages().get(0).sha256(),
        "bootfarm-b_2.0_all.deb " + pinned.packages().get(1).sha256()), fetched);
  }

  @Test
  void aptRefusesAFileWhoseBytesAreNotTheRecordedOnes() throws Exception {
    PinnedInputs pinned = pinned(deb("bootfarm-a", "1.0", "", "a", "-Zxz"));
    Path tampered = deb("bootfarm-a", "1.0", "", "something else", "-Zxz");
    Files.copy(tampered, pinned.file(pinned.packages().get(0), ".deb"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    PinnedAptRepository repo = PinnedAptRepository.write(pinned, Files.createDirectories(tmp.resolve("work")), EPOCH);

    AssertionError refused = assertThrows(AssertionError.class, () -> apt(repo, "bootfarm-a"));
    assertTrue(refused.getMessage().contains("Hash Sum mismatch") || refused.getMessage().contains("Hashes"),
        refused.getMessage());
  }

  @Test
  void missingFileIsNamedWithWhatToDo() throws Exception {
    PinnedInputs pinned = pinned(deb("bootfarm-a", "1.0", "", "a", "-Zxz"));
    Files.delete(pinned.file(pinned.packages().get(0), ".deb"));

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> PinnedAptRepository.write(pinned, Files.createDirectories(tmp.resolve("work")), EPOCH));

    assertEquals(BuildFailure.Kind.INPUT, failure.kind());
    assertTrue(failure.getMessage().contains("bootfarm-a-1.0.all") && failure.getMessage().contains("fetch --inputs"),
        failure.getMessage());
  }

  @Test
  void fileOfAnotherPackageIsRefused() throws Exception {
    PinnedInputs pinned = pinned(deb("bootfarm-a", "1.0", "", "a", "-Zxz"));
    Files.copy(deb("bootfarm-evil", "1.0", "", "a", "-Zxz"), pinned.file(pinned.packages().get(0), ".deb"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    BuildFailure failure = assertThrows(BuildFailure.class,
        () -> PinnedAptRepository.write(pinned, Files.createDirectories(tmp.resolve("work")), EPOCH));

    assertEquals(BuildFailure.Kind.INPUT, failure.kind());
    assertTrue(failure.getMessage().contains("holds bootfarm-evil 1.0 all"), failure.getMessage());
  }

  @Test
  void controlStanzaIsReadFromGzipAndXzControlArchives() throws Exception {
    for (String compression : List.of("-Zgzip", "-Zxz")) {
      String control = DebFile.control(deb("bootfarm-c", "3.0", "bootfarm-a", "c", compression));
      assertTrue(control.startsWith("Package: bootfarm-c\nVersion: 3.0\n"), control);
      assertTrue(control.endsWith("Description: bootfarm test package\n fixture built by dpkg-deb"), control);
    }
  }

  /** The pinned inputs of {@code debs}: each copied into {@code inputs/} as {@code <sha256>.deb}. */
  private PinnedInputs pinned(Path... debs) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("inputs"));
    List<LockedPackage> packages = new ArrayList<>();
    for (Path deb : debs) {
      Map<String, String> fields = PinnedAptRepository.fields(DebFile.control(deb));
      String sha = Sha256.of(deb);
      Files.copy(deb, dir.resolve(sha + ".deb"));
      packages.add(new LockedPackage(fields.get("Package"), fields.get("Version"), fields.get("Architecture"), sha,
          DebFile.buildTime(deb), new PackageOrigin("bookworm/main", "http://127.0.0.1:1/" + deb.getFileName())));
    }
    return new PinnedInputs(dir, packages);
  }

  /** A .deb built with dpkg-deb holding {@code /usr/share/bootfarm/<name>} with {@code content}. */
  private Path deb(String name, String version, String depends, String content, String compression) throws IOException {
    assumeTrue(ExternalCommand.installed("dpkg-deb"), "dpkg-deb is not installed");
    Path tree = Files.createTempDirectory(tmp, name);
    Files.createDirectories(tree.resolve("DEBIAN"));
    Files.writeString(tree.resolve("DEBIAN/control"), "Package: " + name + "\nVersion: " + version
        + "\nArchitecture: all\nMaintainer: bootfarm\n" + (depends.isEmpty() ? "" : "Depends: " + depends + "\n")
        + "Description: bootfarm test package\n fixture built by dpkg-deb\n");
    Files.createDirectories(tree.resolve("usr/share/bootfarm"));
    Files.writeString(tree.resolve("usr/share/bootfarm").resolve(name), content);
    Path deb = tmp.resolve(name + "-" + content.hashCode() + compression + ".deb");
    ExternalCommand.Result result = ExternalCommand.run(List.of("dpkg-deb", "--root-owner-group", compression,
        "--build", tree.toString(), deb.toString()), Map.of("SOURCE_DATE_EPOCH", Long.toString(EPOCH)), null, l -> {});
    if (!result.succeeded()) {
      throw new IOException("dpkg-deb --build " + tree + " exited " + result.exitCode() + ":\n" + result.lastLines(20));
    }
    return deb;
  }

  /**
   * Runs the host's apt-get on {@code repo} alone with a private state (no host list, status or cache): update,
   * then a download-only install of {@code pkg}; returns the archives directory. Fails with apt's output.
   */
  private Path apt(PinnedAptRepository repo, String pkg) throws IOException {
    assumeTrue(ExternalCommand.installed("apt-get"), "apt-get is not installed");
    Path state = Files.createDirectories(tmp.resolve("apt-state"));
    for (String dir : List.of("lists/partial", "archives/partial", "etc/parts", "etc/prefs", "log")) {
      Files.createDirectories(state.resolve(dir));
    }
    Files.writeString(state.resolve("status"), "");
    Path conf = Files.writeString(state.resolve("apt.conf"), String.join("\n",
        "Dir::State \"" + state + "\";",
        "Dir::State::Lists \"" + state.resolve("lists") + "\";",
        "Dir::State::status \"" + state.resolve("status") + "\";",
        "Dir::Cache \"" + state + "\";",
        "Dir::Cache::Archives \"" + state.resolve("archives") + "\";",
        "Dir::Etc::SourceList \"" + repo.sources().file() + "\";",
        "Dir::Etc::SourceParts \"" + state.resolve("etc/parts") + "\";",
        "Dir::Etc::Parts \"" + state.resolve("etc/parts") + "\";",
        "Dir::Etc::PreferencesParts \"" + state.resolve("etc/prefs") + "\";",
        "Dir::Log \"" + state.resolve("log") + "\";",
        "APT::Sandbox::User \"root\";",
        "Acquire::Languages \"none\";", ""));
    for (List<String> command : List.of(List.of("apt-get", "-q", "update", "--error-on=any"),
        List.of("apt-get", "-q", "-y", "--download-only", "install", pkg))) {
      ExternalCommand.Result result = ExternalCommand.run(command, Map.of("APT_CONFIG", conf.toString()), null, l -> {});
      if (!result.succeeded()) {
        throw new AssertionError(String.join(" ", command) + " exited " + result.exitCode() + ":\n"
            + result.lastLines(40));
      }
    }
    assertNotEquals(0, Files.list(state.resolve("archives")).count());
    return state.resolve("archives");
  }
}
