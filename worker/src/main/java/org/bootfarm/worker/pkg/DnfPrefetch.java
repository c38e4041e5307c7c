package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;

/**
 * The package files a build's resolution downloaded on an action-cache miss (docs/adr/0058), so that the base
 * stage's install of the same packages runs only dnf's install phase (no network, {@code -C}) instead of
 * starting dnf once more for a download phase. A fetch is taken by the install of exactly the packages of the
 * resolution's first transaction, in the same build, while every repository's metadata in the cache is byte for
 * byte the one the fetch resolved against, and only when every key the install may import is a local file (dnf
 * imports keys in the install phase then, where a key URL cannot be fetched). Anything else downloads as before.
 */
final class DnfPrefetch {
  /**
   * One resolution's fetch: the packages of the transaction fetched (as the install names them), the cache's
   * package files before the fetch (so the install reports and, failing, discards what the fetch added), and each
   * repository cache directory's {@code repodata/repomd.xml} sha256 after it.
   */
  record Fetched(BuildLog build, List<String> packages, Map<Path, DnfCacheFiles.FileState> cacheBefore,
      Map<String, String> metadata) {}

  /** Per package cache: the last resolution's fetch; a resolution that fetched nothing removes it. */
  private static final Map<Path, Fetched> BY_CACHE = new ConcurrentHashMap<>();

  private static final String BOTH_PHASES = "dnf-install-fetched.py";

  private DnfPrefetch() {}

  /** Keeps what a resolution of {@code build} fetched into {@code cache}; called while it holds the cache. */
  static void record(Path cache, BuildLog build, List<String> packages, Map<Path, DnfCacheFiles.FileState> before) {
    Map<String, String> metadata = metadata(cache);
    if (metadata == null) {
      forget(cache);
      return;
    }
    BY_CACHE.put(cache.toAbsolutePath(), new Fetched(build, List.copyOf(packages), Map.copyOf(before), metadata));
  }

  /** A resolution against {@code cache} fetched nothing: no install takes an older fetch. */
  static void forget(Path cache) {
    BY_CACHE.remove(cache.toAbsolutePath());
  }

  /**
   * The fetch the dnf command {@code arguments} of {@code session} may install from without a download phase, taken
   * (an install takes a fetch once); empty when it must download. Call while holding the cache.
   */
  static Optional<Fetched> take(PackageSession session, DnfDriver.DnfFiles files, List<String> arguments) {
    Path cache = DnfDriver.packageCache(session);
    Fetched fetched = BY_CACHE.remove(cache);
    if (fetched == null || session.pinned().isPresent() || fetched.build() != session.log()
        || arguments.isEmpty() || !arguments.get(0).equals("install")
        || !fetched.packages().equals(arguments.subList(1, arguments.size()))
        || fetched.metadata() == null || !fetched.metadata().equals(metadata(cache)) || !keysAreLocalFiles(files)) {
      return Optional.empty();
    }
    return Optional.of(fetched);
  }

  /**
   * The program of an install phase that takes a fetch: dnf's download-phase command, from the cache ({@code -C}
   * for {@code --refresh}: it downloads nothing, and checks the signatures and imports the keys into the image's
   * rpm database as that phase does), then the install-phase command, in one Python ({@value #BOTH_PHASES}). Two
   * runs of dnf leave the rpm database as two processes did, byte for byte; one run importing the keys during the
   * install writes it in another order (other bytes of the base stage).
   */
  static List<String> bothPhases(PackageSession session, DnfDriver.DnfFiles files, List<String> download,
      List<String> install) throws BuildFailure {
    Path script = files.config().getParent().resolve(BOTH_PHASES);
    try (InputStream in = DnfPrefetch.class.getResourceAsStream(BOTH_PHASES)) {
      Files.write(script, in.readAllBytes());
    } catch (IOException | NullPointerException e) {
      throw new BuildFailure(BuildFailure.Kind.INTERNAL, "cannot write " + script + ": " + e.getMessage(), e);
    }
    List<String> program = new ArrayList<>(List.of("/usr/bin/python3", script.toString()));
    download.subList(1, download.size()).forEach(word -> program.add(word.equals("--refresh") ? "-C" : word));
    program.add("--");
    program.addAll(install.subList(1, install.size()));
    return program;
  }

  /** Whether every {@code gpgkey=} of the repositories dnf runs with names a local file ({@code file://}). */
  static boolean keysAreLocalFiles(DnfDriver.DnfFiles files) {
    try (Stream<Path> repoFiles = Files.list(files.reposDir())) {
      for (Path file : repoFiles.sorted().toList()) {
        for (String url : RepoFileKeys.references(Files.readAllLines(file))) {
          if (!url.startsWith("file://")) {
            return false;
          }
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Each repository cache directory's {@code repodata/repomd.xml} sha256, by directory name; null when unreadable. */
  private static Map<String, String> metadata(Path cache) {
    Map<String, String> digests = new TreeMap<>();
    try (Stream<Path> directories = Files.list(cache)) {
      for (Path directory : directories.sorted().toList()) {
        Path repomd = directory.resolve("repodata").resolve("repomd.xml");
        if (Files.isRegularFile(repomd, LinkOption.NOFOLLOW_LINKS)) {
          digests.put(directory.getFileName().toString(), Sha256.of(repomd));
        }
      }
    } catch (IOException e) {
      return null; // the install downloads
    }
    return digests;
  }
}
