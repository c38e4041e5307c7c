package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.PackageOrigin;

/**
 * The download URLs a resolution ({@link DnfResolver}) read from dnf, kept per package cache so the lock can name
 * each package's origin without starting dnf again for {@code repoquery -C --location} ({@link DnfOrigins},
 * docs/adr/0055). A URL is taken only for the file the build installed (its sha256 is the checksum the
 * resolution read), from the repository whose cache directory holds that file, while that repository's metadata
 * in the cache ({@code repodata/repomd.xml}) is byte for byte the one the URL was read from: then repoquery would
 * read the same package entry from the same metadata and answer the same URL. Anything else is asked of dnf.
 */
final class DnfResolvedLocations {
  /** A package file's repository and URL, named by the repository's metadata digest when it was read. */
  private record Location(String repoId, String url, String repoDirectory, String metadataSha256) {}

  /** Per package cache: the last resolution's locations, by the package file's sha256. */
  private static final Map<Path, Map<String, Location>> BY_CACHE = new ConcurrentHashMap<>();

  private DnfResolvedLocations() {}

  /**
   * Keeps the URLs of one resolution against {@code cache}, {@code sha256 → [repo id, url]}; called while the
   * resolution holds the cache, so the metadata digests are those the URLs were read from.
   */
  static void record(Path cache, Map<String, String[]> urlsBySha256) {
    // each repository's one cache directory and its metadata digest; a repository with two cache directories
    // (its baseurl changed) is ambiguous and left out
    Map<String, List<String>> metadataByRepo = new HashMap<>();
    try (Stream<Path> directories = Files.list(cache)) {
      for (Path directory : directories.sorted().toList()) {
        Optional<String> repo = DnfOrigins.repoId(cache, directory.resolve("packages").resolve("any.rpm"));
        String digest = metadataSha256(directory);
        if (repo.isPresent() && digest != null) {
          metadataByRepo.merge(repo.get(), List.of(directory.getFileName().toString(), digest), (a, b) -> List.of());
        }
      }
    } catch (IOException e) {
      return; // nothing recorded: the lock asks dnf
    }
    Map<String, Location> locations = new HashMap<>();
    urlsBySha256.forEach((sha256, repoAndUrl) -> {
      List<String> metadata = metadataByRepo.getOrDefault(repoAndUrl[0], List.of());
      if (!metadata.isEmpty()) {
        locations.put(sha256, new Location(repoAndUrl[0], repoAndUrl[1], metadata.get(0), metadata.get(1)));
      }
    });
    BY_CACHE.put(cache.toAbsolutePath(), Map.copyOf(locations));
  }

  /**
   * The origins of the files in {@code filesBySha256} that the last resolution against {@code cache} read from
   * metadata still in the cache unchanged, by sha256; call while holding the cache.
   */
  static Map<String, PackageOrigin> origins(Path cache, Map<String, Path> filesBySha256) {
    Map<String, Location> recorded = BY_CACHE.getOrDefault(cache.toAbsolutePath(), Map.of());
    Map<String, PackageOrigin> origins = new HashMap<>();
    Map<Path, String> metadataNow = new HashMap<>();
    filesBySha256.forEach((sha256, file) -> {
      Location location = recorded.get(sha256);
      if (location == null || !DnfOrigins.repoId(cache, file).equals(Optional.of(location.repoId()))) {
        return;
      }
      Path repoDirectory = file.toAbsolutePath().getParent().getParent();
      if (!repoDirectory.getFileName().toString().equals(location.repoDirectory())) {
        return;
      }
      String digest = metadataNow.computeIfAbsent(repoDirectory, d -> String.valueOf(metadataSha256(d)));
      if (digest.equals(location.metadataSha256())) {
        origins.put(sha256, new PackageOrigin(location.repoId(), location.url()));
      }
    });
    return origins;
  }

  /** The sha256 of a repository cache directory's {@code repodata/repomd.xml}; null when it has none. */
  private static String metadataSha256(Path repoDirectory) {
    Path repomd = repoDirectory.resolve("repodata").resolve("repomd.xml");
    try {
      return Files.isRegularFile(repomd, LinkOption.NOFOLLOW_LINKS) ? Sha256.of(repomd) : null;
    } catch (IOException e) {
      return null;
    }
  }
}
